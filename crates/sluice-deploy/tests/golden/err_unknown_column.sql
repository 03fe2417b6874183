SELECT nope FROM pubsub.topic.`demobox-313313`.orders
