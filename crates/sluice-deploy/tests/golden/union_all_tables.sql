SELECT customer_id, amount FROM bigquery.table.`demobox-313313`.ecommerce.orders WHERE order_status = 'Open'
UNION ALL
SELECT customer_id, amount FROM bigquery.table.`demobox-313313`.ecommerce.orders WHERE order_status = 'Closed'
