SELECT customer_id, amount
FROM pubsub.topic.`demobox-313313`.orders
WHERE order_status = 'Open' AND amount > 550
