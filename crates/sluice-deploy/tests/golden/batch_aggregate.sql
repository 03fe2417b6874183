-- Bounded only: a batch job.
SELECT customer_id, COUNT(*) AS orders, SUM(amount) AS total
FROM bigquery.table.`demobox-313313`.ecommerce.orders
WHERE order_status = 'Closed'
GROUP BY customer_id
HAVING COUNT(*) > 3
ORDER BY total DESC
LIMIT 10
