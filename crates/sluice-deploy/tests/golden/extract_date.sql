SELECT customer_id, EXTRACT(DATE FROM event_timestamp) AS day, EXTRACT(DAYOFWEEK FROM event_timestamp) AS weekday
FROM pubsub.topic.`demobox-313313`.orders
