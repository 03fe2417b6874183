SELECT
  COALESCE(order_status, 'unknown') AS status,
  IFNULL(customer_id, 0) AS customer,
  NULLIF(order_status, '') AS nonempty,
  GREATEST(amount, 550.0) AS at_least
FROM pubsub.topic.`demobox-313313`.orders
