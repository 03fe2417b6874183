SELECT window_start, COUNT(*) AS orders
FROM TUMBLE((SELECT * FROM pubsub.topic.`demobox-313313`.orders), DESCRIPTOR(event_timestamp), "INTERVAL 1 MINUTE")
GROUP BY window_start
