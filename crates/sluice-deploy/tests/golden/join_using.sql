SELECT o.customer_id, o.amount, c.name, c.mail
FROM pubsub.topic.`demobox-313313`.orders AS o
JOIN bigquery.table.`demobox-313313`.ecommerce.customers AS c USING (customer_id)
