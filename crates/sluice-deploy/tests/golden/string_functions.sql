SELECT
  SUBSTR(order_datetime, 1, 10) AS day,
  STRPOS(order_status, 'o') AS o_at,
  TRIM(order_status) AS trimmed,
  LOWER(REPLACE(order_status, 'Open', 'New')) AS renamed,
  STARTS_WITH(order_status, 'Op') AS opening
FROM pubsub.topic.`demobox-313313`.orders
