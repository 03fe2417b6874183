SELECT customer_id, amount
FROM pubsub.topic.`demobox-313313`.orders
WHERE amount BETWEEN 500 AND 600
  AND order_status IN ('Open', 'Closed')
  AND order_datetime LIKE '2021-%'
  AND customer_id IS NOT NULL
  AND NOT (customer_id = -1)
