SELECT customer_id, TIME '10:00:00' AS opening
FROM pubsub.topic.`demobox-313313`.orders
