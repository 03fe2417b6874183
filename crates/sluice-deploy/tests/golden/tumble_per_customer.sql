SELECT window_start, window_end, customer_id, SUM(amount) AS spent, AVG(customer_id) AS avg_id
FROM TUMBLE((SELECT * FROM pubsub.topic.`demobox-313313`.orders), DESCRIPTOR(event_timestamp), "INTERVAL 10 SECOND")
GROUP BY 1, 2, 3
HAVING spent > 1000
