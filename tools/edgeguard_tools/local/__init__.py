"""The local cloud: the whole suite on one machine, no AWS account (moto in-process).

- cloud.LocalCloud: the facade: template.yaml's resources on moto, delivery along its
  wiring; it assembles the modules below and none of them imports it.
- template: the template resolver (intrinsics, conditions, SAM Globals); template_file:
  reading the YAML (short-form tags, cached); parameters: template parameters (validated
  like CloudFormation, the local cloud's own values).
- resources: what is done with each resource type, Physical (Ref/GetAtt), names of what is
  not created; creators, creators_edge: creating resources in moto (edge: WAF, CloudFront).
- provisioning: the template's resources created in dependency order; stack: lookups
  (Ref, GetAtt, logical id of a physical name, resolving values, dynamic references).
- wiring: rules, subscriptions, event sources, rotations read from the template.
- runtime: functions run in process (environment, output), async invoke, batches.
- pump: the delivery loop that keeps the cloud synchronous; hooks: the botocore hooks
  through which any boto3 call reaches the running cloud (and lambda.Invoke is answered).
- delivery: one module per event source: eventbridge (rules, input transformers), sns,
  sqs (polling, batches, retries), streams (DynamoDB), schedules (tick), rotation
  (Secrets Manager), alarms (CloudWatch state changes), stepfunctions (executions),
  logs_subscription (CloudWatch Logs subscription filters to functions).
- patterns: EventBridge event-pattern matching; schedule: rate/cron expressions.
- stepfunctions: how state machines run here and where moto's executor stops.
- alarms: what CloudWatch emits on an alarm state change.
- origin (+ origin_watch): the ALB stand-in behind the regional web ACL; telegram_server:
  the Bot API; loopback: the lifecycle those stand-in servers share (127.0.0.1, a thread).
- handlers: loading a function's app.py in process; moto_ext: moto gap fills.

Nothing here is imported by Lambda code.
"""
