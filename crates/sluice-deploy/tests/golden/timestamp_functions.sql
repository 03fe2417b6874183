SELECT
  customer_id,
  TIMESTAMP_ADD(event_timestamp, INTERVAL 5 MINUTE) AS due,
  TIMESTAMP_SUB(event_timestamp, INTERVAL 90 SECOND) AS before,
  TIMESTAMP_TRUNC(event_timestamp, HOUR) AS hour,
  EXTRACT(DAYOFWEEK FROM event_timestamp) AS weekday,
  UNIX_SECONDS(event_timestamp) AS epoch_seconds
FROM pubsub.topic.`demobox-313313`.orders
WHERE event_timestamp > TIMESTAMP '2021-07-18 00:00:00 UTC'
