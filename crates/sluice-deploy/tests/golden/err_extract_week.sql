SELECT EXTRACT(WEEK FROM event_timestamp) AS week
FROM pubsub.topic.`demobox-313313`.orders
