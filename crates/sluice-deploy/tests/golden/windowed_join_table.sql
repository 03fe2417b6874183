SELECT w.window_start, w.customer_id, w.spent, c.name
FROM (
  SELECT window_start, customer_id, SUM(amount) AS spent
  FROM TUMBLE((SELECT * FROM pubsub.topic.`demobox-313313`.orders), DESCRIPTOR(event_timestamp), "INTERVAL 1 MINUTE")
  GROUP BY window_start, customer_id
) w
JOIN bigquery.table.`demobox-313313`.ecommerce.customers c ON w.customer_id = c.customer_id
