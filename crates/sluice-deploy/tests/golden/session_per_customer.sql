SELECT window_start, window_end, customer_id, COUNT(*) AS n
FROM SESSION((SELECT * FROM pubsub.topic.`demobox-313313`.orders), DESCRIPTOR(event_timestamp), "INTERVAL 30 SECOND")
GROUP BY window_start, window_end, customer_id
