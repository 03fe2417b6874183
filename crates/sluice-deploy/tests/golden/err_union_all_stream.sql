SELECT customer_id, amount, 'open' AS kind FROM pubsub.topic.`demobox-313313`.orders WHERE order_status = 'Open'
UNION ALL
SELECT customer_id, amount, 'closed' AS kind FROM pubsub.topic.`demobox-313313`.orders WHERE order_status = 'Closed'
