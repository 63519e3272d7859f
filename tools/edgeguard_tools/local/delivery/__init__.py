"""Delivery along the template's wiring, one module per event source.

- eventbridge: rules (patterns, buses), input shaping and targets.
- sns: topic publications to subscribed functions (filter policies).
- sqs: queues polled for their consuming functions in batches, retries and redrive.
- streams: DynamoDB stream records to their consumers, in order, with retries.
- schedules: ``tick``: time moving on, rate/cron schedules firing, retries coming due.
- rotation: Secrets Manager rotation driving a rotation function through its four steps.
- alarms: a CloudWatch alarm's state change to rules and alarm actions.
- stepfunctions: state machine executions started and waited for.

Each module gets a narrow interface (a few callables or a small Protocol), never the
``LocalCloud`` facade, and none imports edgeguard_tools.local.cloud.
"""
