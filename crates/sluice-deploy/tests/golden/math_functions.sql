SELECT
  LOG10(amount) AS digits,
  LN(amount) AS ln,
  LOG(amount, 2) AS bits,
  SQRT(amount) AS root,
  POWER(amount, 2) AS squared,
  ABS(customer_id - 100) AS distance,
  ROUND(amount, 1) AS rounded,
  CEIL(amount) AS up,
  MOD(customer_id, 7) AS bucket,
  SAFE_DIVIDE(amount, customer_id) AS share
FROM pubsub.topic.`demobox-313313`.orders
