SELECT SAFE_CAST(order_datetime AS TIMESTAMP) AS at
FROM pubsub.topic.`demobox-313313`.orders
