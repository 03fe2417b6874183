-- Distinct rows per window become a GROUP BY of the window.
SELECT DISTINCT window_start, customer_id
FROM TUMBLE((SELECT * FROM pubsub.topic.`demobox-313313`.orders), DESCRIPTOR(event_timestamp), "INTERVAL 1 MINUTE")
