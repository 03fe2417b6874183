SELECT DISTINCT customer_id FROM bigquery.table.`demobox-313313`.ecommerce.orders WHERE amount > 900
