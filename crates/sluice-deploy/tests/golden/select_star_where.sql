SELECT * FROM pubsub.topic.`demobox-313313`.orders WHERE order_status != 'Cancelled'
