SELECT RTRIM(order_status, 'ed') AS stem
FROM pubsub.topic.`demobox-313313`.orders
