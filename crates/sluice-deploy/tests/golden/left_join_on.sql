SELECT o.customer_id, o.amount, c.name
FROM pubsub.topic.`demobox-313313`.orders o
LEFT JOIN bigquery.table.`demobox-313313`.ecommerce.customers c ON o.customer_id = c.customer_id
WHERE o.amount > 500
