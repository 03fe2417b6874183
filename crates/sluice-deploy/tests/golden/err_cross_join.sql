SELECT o.customer_id, c.name
FROM bigquery.table.`demobox-313313`.ecommerce.orders o
CROSS JOIN bigquery.table.`demobox-313313`.ecommerce.customers c
