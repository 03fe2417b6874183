SELECT customer_id, SUM(amount) AS total
FROM bigquery.table.`demobox-313313`.ecommerce.orders
GROUP BY customer_id
ORDER BY total DESC
