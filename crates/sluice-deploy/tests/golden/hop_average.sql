SELECT window_start, AVG(amount) AS avg_amount, MAX(amount) AS top, MIN(amount) AS bottom
FROM HOP((SELECT * FROM pubsub.topic.`demobox-313313`.orders), DESCRIPTOR(event_timestamp), "INTERVAL 1 MINUTE", "INTERVAL 5 MINUTE")
GROUP BY window_start
