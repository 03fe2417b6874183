-- BigQuery's / always gives FLOAT64; Calcite's divides integers as integers.
SELECT customer_id / 7 AS ratio, DIV(customer_id, 7) AS whole, MOD(customer_id, 7) AS rest, SAFE_DIVIDE(amount, customer_id - 3) AS per_id
FROM pubsub.topic.`demobox-313313`.orders
