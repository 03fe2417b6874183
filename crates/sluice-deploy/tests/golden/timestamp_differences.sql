SELECT
  customer_id,
  UNIX_MILLIS(event_timestamp) AS ms,
  UNIX_MICROS(event_timestamp) AS us,
  TIMESTAMP_DIFF(event_timestamp, TIMESTAMP '2021-01-01 00:00:00 UTC', MILLISECOND) AS ms_since,
  TIMESTAMP_DIFF(event_timestamp, TIMESTAMP '2021-01-01 00:00:00 UTC', DAY) AS days_since
FROM pubsub.topic.`demobox-313313`.orders
