"""The local cloud: the whole suite on one machine, no AWS account (moto in-process).

- cloud.LocalCloud: template.yaml's resources on moto and delivery along its wiring.
- template: the template reader (intrinsics, conditions, parameters, SAM Globals).
- resources: creating resources in moto; wiring: rules, subscriptions, event sources.
- patterns: EventBridge event-pattern matching; schedule: rate/cron expressions.
- stepfunctions: how state machines run here and where moto's executor stops.
- alarms: what CloudWatch emits on an alarm state change.
- origin: the ALB stand-in behind the regional web ACL; telegram_server: the Bot API.
- handlers: running a function's app.py in process; moto_ext: moto gap fills.
- command: ``edgeguard invoke``.

Nothing here is imported by Lambda code.
"""
