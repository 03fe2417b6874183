-- Names Calcite reserves are quoted with backticks.
SELECT amount AS value, order_status AS `timestamp`, customer_id AS `user`
FROM pubsub.topic.`demobox-313313`.orders
