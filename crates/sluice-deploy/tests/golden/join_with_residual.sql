-- The non-equality part of an inner join's condition moves to WHERE.
SELECT o.customer_id, o.amount, c.name
FROM pubsub.topic.`demobox-313313`.orders o
JOIN bigquery.table.`demobox-313313`.ecommerce.customers c ON o.customer_id = c.customer_id AND o.amount > 600
