SELECT
  CAST(amount AS NUMERIC) AS exact_amount,
  NUMERIC '12.345' AS fee,
  RPAD(order_status, 10) AS padded,
  LPAD(order_status, 10) AS left_padded,
  LTRIM(order_status, 'O') AS trimmed
FROM pubsub.topic.`demobox-313313`.orders
