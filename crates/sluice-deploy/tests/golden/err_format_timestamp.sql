SELECT FORMAT_TIMESTAMP('%Y', event_timestamp) AS year
FROM pubsub.topic.`demobox-313313`.orders
