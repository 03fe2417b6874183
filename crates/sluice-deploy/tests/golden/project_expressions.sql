-- Arithmetic, CASE, IF and string functions in BigQuery's spelling.
SELECT
  customer_id,
  amount * 1.1 AS with_tax,
  IF(amount >= 600, 'big', 'small') AS size,
  CASE order_status WHEN 'Open' THEN 1 WHEN 'Closed' THEN 2 ELSE 0 END AS status_code,
  CONCAT(UPPER(order_status), '-', CAST(customer_id AS STRING)) AS label,
  LENGTH(order_status) AS status_length
FROM pubsub.topic.`demobox-313313`.orders
