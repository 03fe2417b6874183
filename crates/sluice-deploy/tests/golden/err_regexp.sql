SELECT customer_id
FROM pubsub.topic.`demobox-313313`.orders
WHERE REGEXP_CONTAINS(order_status, r'^Op')
