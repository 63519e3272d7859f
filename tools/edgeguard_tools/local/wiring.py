"""The template's wiring, read into plain records the local cloud delivers along.

Both SAM's ``Events`` on functions and state machines and the plain CloudFormation
resources (AWS::Events::Rule with Targets, AWS::SNS::Subscription,
AWS::Lambda::EventSourceMapping, AWS::Scheduler::Schedule,
AWS::SecretsManager::RotationSchedule) end up here, so it does not matter which
form a helper wrote.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from edgeguard_tools.local.schedule import Schedule

FUNCTION_TYPES = ("AWS::Serverless::Function", "AWS::Lambda::Function")
STATE_MACHINE_TYPES = ("AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine")


@dataclass
class Target:
    """Where a rule sends a matching event, and how it shapes it first."""

    logical_id: str
    kind: str  # function | statemachine | topic | queue | unknown
    arn: str
    input: str | None = None
    input_path: str | None = None
    input_transformer: dict[str, Any] | None = None


@dataclass
class Rule:
    logical_id: str
    pattern: dict[str, Any] | None
    schedule: Schedule | None
    targets: list[Target] = field(default_factory=list)
    enabled: bool = True
    bus: str = "default"
    scheduler: bool = False  # EventBridge Scheduler: the target gets Input as is


@dataclass
class QueueSource:
    function: str
    queue: str
    batch_size: int = 10
    report_failures: bool = False
    filters: list[dict[str, Any]] = field(default_factory=list)
    enabled: bool = True


@dataclass
class StreamSource:
    function: str
    table: str
    batch_size: int = 100
    report_failures: bool = False
    filters: list[dict[str, Any]] = field(default_factory=list)
    maximum_retry_attempts: int = -1
    enabled: bool = True
    on_failure: str | None = None  # logical id of the OnFailure destination (queue, topic)


@dataclass
class TopicSubscription:
    function: str
    topic: str
    filter_policy: dict[str, Any] | None = None
    filter_scope: str = "MessageAttributes"


@dataclass
class Rotation:
    secret: str
    function: str
    schedule: Schedule | None = None


@dataclass
class AsyncConfig:
    """Lambda's asynchronous invocation behaviour for one function."""

    maximum_retry_attempts: int = 2
    dead_letter_target: str | None = None  # logical id of an SQS queue or SNS topic


@dataclass
class QueueSubscription:
    """An SNS -> SQS subscription: moto delivers it once it is created there."""

    topic: str  # logical id
    endpoint: Any  # the queue's ARN
    props: dict[str, Any] = field(default_factory=dict)  # RawMessageDelivery, FilterPolicy


@dataclass
class Wiring:
    rules: list[Rule] = field(default_factory=list)
    queue_sources: list[QueueSource] = field(default_factory=list)
    stream_sources: list[StreamSource] = field(default_factory=list)
    kinesis_sources: list[StreamSource] = field(default_factory=list)  # table = the stream
    subscriptions: list[TopicSubscription] = field(default_factory=list)
    queue_subscriptions: list[QueueSubscription] = field(default_factory=list)
    rotations: list[Rotation] = field(default_factory=list)
    async_config: dict[str, AsyncConfig] = field(default_factory=dict)
    unsupported: dict[str, str] = field(default_factory=dict)


def _bool_state(props: dict[str, Any]) -> bool:
    if "Enabled" in props:
        return bool(props["Enabled"]) and str(props["Enabled"]).lower() != "false"
    return str(props.get("State", "ENABLED")).upper() == "ENABLED"


def _pattern(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    return json.loads(value) if isinstance(value, str) else dict(value)


def _filters(props: dict[str, Any]) -> list[dict[str, Any]]:
    criteria = props.get("FilterCriteria") or {}
    return [_pattern(item["Pattern"]) or {} for item in criteria.get("Filters", [])]


def _report_failures(props: dict[str, Any]) -> bool:
    return "ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or [])


def read_wiring(cloud: Any) -> Wiring:
    """Build the wiring from the resolved template; ``cloud`` answers resolve/lookup.

    ``cloud`` needs ``template``, ``resolve``, ``logical_for``, ``kind_of`` and
    ``attribute`` (edgeguard_tools.local.stack.Stack has them). Nothing is created here:
    SNS -> SQS subscriptions are listed in ``queue_subscriptions`` for provisioning.
    """
    wiring = Wiring()
    template = cloud.template
    for logical_id, resource in template.resources().items():
        kind = resource.get("Type")
        if kind in FUNCTION_TYPES or kind in STATE_MACHINE_TYPES:
            _serverless_events(cloud, wiring, logical_id, resource)
        if kind in FUNCTION_TYPES:
            _async_config(cloud, wiring, logical_id, resource)
        elif kind == "AWS::Events::Rule":
            props = cloud.resolve(resource.get("Properties") or {})
            schedule = props.get("ScheduleExpression")
            rule = Rule(
                logical_id,
                _pattern(props.get("EventPattern")),
                Schedule.parse(schedule) if schedule else None,
                enabled=_bool_state(props),
                bus=_bus_name(props.get("EventBusName")),
            )
            for target in props.get("Targets", []):
                rule.targets.append(
                    _target(
                        cloud,
                        target["Arn"],
                        target.get("Input"),
                        target.get("InputPath"),
                        target.get("InputTransformer"),
                    )
                )
            wiring.rules.append(rule)
        elif kind == "AWS::Scheduler::Schedule":
            props = cloud.resolve(resource.get("Properties") or {})
            target = props.get("Target") or {}
            rule = Rule(
                logical_id,
                None,
                Schedule.parse(props["ScheduleExpression"]),
                [_target(cloud, target["Arn"], target.get("Input"))],
                enabled=_bool_state(props),
                scheduler=True,
            )
            wiring.rules.append(rule)
        elif kind == "AWS::SNS::Topic":
            props = cloud.resolve(resource.get("Properties") or {})
            for sub in props.get("Subscription", []):
                _subscription(
                    cloud,
                    wiring,
                    topic=logical_id,
                    protocol=sub.get("Protocol"),
                    endpoint=sub.get("Endpoint"),
                    props={},
                )
        elif kind == "AWS::SNS::Subscription":
            props = cloud.resolve(resource.get("Properties") or {})
            topic = cloud.logical_for(props["TopicArn"])
            _subscription(
                cloud,
                wiring,
                topic=topic,
                protocol=props.get("Protocol"),
                endpoint=props.get("Endpoint"),
                props=props,
                logical_id=logical_id,
            )
        elif kind == "AWS::Lambda::EventSourceMapping":
            props = cloud.resolve(resource.get("Properties") or {})
            function = cloud.logical_for(props["FunctionName"])
            _event_source(
                cloud,
                wiring,
                function=function,
                source_arn=props["EventSourceArn"],
                props=props,
                logical_id=logical_id,
            )
        elif kind == "AWS::SecretsManager::RotationSchedule":
            props = cloud.resolve(resource.get("Properties") or {})
            if "RotationLambdaARN" not in props:
                wiring.unsupported[logical_id] = "hosted rotation lambdas are not run locally"
                continue
            rules = props.get("RotationRules") or {}
            expression = rules.get("ScheduleExpression")
            if not expression and rules.get("AutomaticallyAfterDays"):
                expression = f"rate({int(rules['AutomaticallyAfterDays'])} days)"
            wiring.rotations.append(
                Rotation(
                    cloud.logical_for(props["SecretId"]),
                    cloud.logical_for(props["RotationLambdaARN"]),
                    Schedule.parse(expression) if expression else None,
                )
            )
    return wiring


def _bus_name(value: Any) -> str:
    if not value:
        return "default"
    text = str(value)
    return text.rsplit("/", 1)[-1] if text.startswith("arn:") else text


def _target(
    cloud: Any,
    arn: str,
    input_: Any = None,
    input_path: str | None = None,
    transformer: dict[str, Any] | None = None,
) -> Target:
    logical_id = cloud.logical_for(arn)
    kind = cloud.kind_of(logical_id)
    if isinstance(input_, dict | list):
        input_ = json.dumps(input_)
    return Target(logical_id, kind, arn, input_, input_path, transformer)


def _subscription(
    cloud: Any,
    wiring: Wiring,
    *,
    topic: str,
    protocol: str | None,
    endpoint: Any,
    props: dict[str, Any],
    logical_id: str | None = None,
) -> None:
    if protocol != "lambda":
        if protocol == "sqs":
            wiring.queue_subscriptions.append(QueueSubscription(topic, endpoint, props))
        else:
            wiring.unsupported[logical_id or f"{topic}:{protocol}"] = (
                f"{protocol} subscriptions are not delivered locally"
            )
        return
    policy = props.get("FilterPolicy")
    wiring.subscriptions.append(
        TopicSubscription(
            cloud.logical_for(endpoint),
            topic,
            _pattern(policy),
            props.get("FilterPolicyScope", "MessageAttributes"),
        )
    )


def _event_source(
    cloud: Any,
    wiring: Wiring,
    *,
    function: str,
    source_arn: str,
    props: dict[str, Any],
    logical_id: str,
) -> None:
    source = cloud.logical_for(source_arn)
    kind = cloud.template.resources()[source]["Type"]
    if kind == "AWS::SQS::Queue":
        wiring.queue_sources.append(
            QueueSource(
                function,
                source,
                int(props.get("BatchSize", 10)),
                _report_failures(props),
                _filters(props),
                _bool_state(props),
            )
        )
    elif kind in {"AWS::DynamoDB::Table", "AWS::Serverless::SimpleTable", "AWS::Kinesis::Stream"}:
        failure = ((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
        kinesis = kind == "AWS::Kinesis::Stream"
        (wiring.kinesis_sources if kinesis else wiring.stream_sources).append(
            StreamSource(
                function,
                source,
                int(props.get("BatchSize", 100)),
                _report_failures(props),
                _filters(props),
                int(props.get("MaximumRetryAttempts", -1)),
                _bool_state(props),
                cloud.logical_for(failure) if failure else None,
            )
        )
    else:
        wiring.unsupported[logical_id] = f"event source {kind} is not polled locally"


def _serverless_events(
    cloud: Any, wiring: Wiring, logical_id: str, resource: dict[str, Any]
) -> None:
    for name, event in (resource.get("Properties", {}).get("Events") or {}).items():
        kind = event.get("Type")
        props = cloud.resolve(event.get("Properties") or {})
        arn = cloud.attribute(logical_id, "Arn")
        rule_id = f"{logical_id}{name}"
        if kind in {"EventBridgeRule", "CloudWatchEvent"}:
            target = _target(cloud, arn, props.get("Input"), props.get("InputPath"))
            target.input_transformer = props.get("InputTransformer")
            wiring.rules.append(
                Rule(
                    rule_id,
                    _pattern(props.get("Pattern")),
                    None,
                    [target],
                    enabled=_bool_state(props),
                    bus=_bus_name(props.get("EventBusName")),
                )
            )
        elif kind in {"Schedule", "ScheduleV2"}:
            expression = props.get("Schedule") or props.get("ScheduleExpression")
            wiring.rules.append(
                Rule(
                    rule_id,
                    None,
                    Schedule.parse(expression),
                    [_target(cloud, arn, props.get("Input"))],
                    enabled=_bool_state(props),
                    scheduler=kind == "ScheduleV2",
                )
            )
        elif kind == "SNS":
            _subscription(
                cloud,
                wiring,
                topic=cloud.logical_for(props["Topic"]),
                protocol="lambda",
                endpoint=arn,
                props=props,
            )
        elif kind in {"SQS", "DynamoDB", "Kinesis"}:
            source = props.get("Queue") or props.get("Stream")
            _event_source(
                cloud,
                wiring,
                function=logical_id,
                source_arn=source,
                props=props,
                logical_id=rule_id,
            )
        else:
            wiring.unsupported[rule_id] = f"{kind} events are not delivered locally"


def _async_config(cloud: Any, wiring: Wiring, logical_id: str, resource: dict[str, Any]) -> None:
    props = resource.get("Properties") or {}
    config = AsyncConfig()
    invoke = cloud.resolve(props.get("EventInvokeConfig") or {})
    if "MaximumRetryAttempts" in invoke:
        config.maximum_retry_attempts = int(invoke["MaximumRetryAttempts"])
    on_failure = ((invoke.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
    dead_letter = cloud.resolve(props.get("DeadLetterQueue") or props.get("DeadLetterConfig") or {})
    target = on_failure or dead_letter.get("TargetArn")
    if target:
        config.dead_letter_target = cloud.logical_for(target)
    wiring.async_config[logical_id] = config
