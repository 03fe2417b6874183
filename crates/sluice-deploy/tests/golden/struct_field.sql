SELECT o.customer_id, c.current_location.lat AS lat, c.current_location.lng AS lng
FROM pubsub.topic.`demobox-313313`.orders o
JOIN bigquery.table.`demobox-313313`.ecommerce.customers c ON o.customer_id = c.customer_id
