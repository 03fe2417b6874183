SELECT customer_id, amount > 500 AS big
FROM bigquery.table.`demobox-313313`.ecommerce.orders
ORDER BY big
LIMIT 5
