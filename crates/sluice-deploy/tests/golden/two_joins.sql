-- The stream, the customers and each customer's order count.
WITH counts AS (
  SELECT customer_id, COUNT(*) AS orders
  FROM bigquery.table.`demobox-313313`.ecommerce.orders
  GROUP BY customer_id
)
SELECT o.customer_id, o.amount, c.name, n.orders
FROM pubsub.topic.`demobox-313313`.orders o
JOIN bigquery.table.`demobox-313313`.ecommerce.customers c ON o.customer_id = c.customer_id
JOIN counts n ON o.customer_id = n.customer_id
