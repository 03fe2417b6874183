SELECT window_start, COUNT(*) AS n, COUNTIF(amount > 600) AS big, LOGICAL_OR(order_status = 'Cancelled') AS any_cancelled
FROM TUMBLE((SELECT * FROM pubsub.topic.`demobox-313313`.orders WHERE order_status = 'Open'), DESCRIPTOR(event_timestamp), "INTERVAL 1 MINUTE")
GROUP BY window_start
