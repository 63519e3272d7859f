"""``LocalCloud``: template.yaml running on this machine, moto in-process, no AWS account.

``with LocalCloud(parameters=None, template=None) as cloud:`` starts moto, creates
the template's stateful resources (edgeguard_tools.local.resources; what is not emulated is
listed in ``cloud.skipped``) and delivers along the template's own wiring, SAM Events
or plain CloudFormation (edgeguard_tools.local.wiring), synchronously and in process:

- ``put_event(event)``: every EventBridge rule's real pattern (edgeguard_tools.local.patterns)
  -> functions, state machines, topics, queues; returns the targets' logical ids.
  ``events.put_events`` from any code is routed the same way.
- ``put_object(bucket, key, body)``: S3 -> (moto's bucket notification) SQS -> the
  consuming function, in batches, honouring ReportBatchItemFailures; failed records
  stay in the queue and go to the DLQ after the RedrivePolicy's maxReceiveCount.
- SNS publications from any code reach subscribed functions (the notifier ->
  the Telegram stand-in: ``cloud.telegram_messages``); DynamoDB stream records reach
  their consumers.
- ``tick(minutes=1)``: advances ``edgeguard.clock`` and fires rate/cron schedules,
  rotation schedules and the retries of failed queue/stream records.
- ``rotate_secret(logical_id)``: createSecret/setSecret/testSecret/finishSecret like
  Secrets Manager, a failed step retried once.
- ``invoke(logical_id, event)``: one function with its resolved template environment.
- ``set_alarm_state(logical_id, "ALARM")``: what CloudWatch emits on a state change
  (the EventBridge event to rules, the notification to SNS actions, the payload to
  Lambda actions; edgeguard_tools.local.alarms).
- ``start_execution(logical_id, input)``: a state machine run to completion.
- ``origin_url``: a stand-in for the ALB that admits a request only when the regional
  web ACL (``OriginWebAcl``) allows its X-Origin-Verify header (edgeguard_tools.local.origin).

How delivery stays synchronous: botocore event hooks (the same mechanism moto uses)
note what a call started (an SNS publish, PutEvents, a state machine execution);
when the outermost operation ends, ``_pump`` delivers everything pending, polls the
queues and streams that have consumers, and repeats until nothing moves. A boto3
call made by a test outside any cloud operation is pumped when it returns.

Step Functions: moto executes definitions (its ASL interpreter, vendored from
LocalStack) when ``execute_state_machine`` is on; Lambda tasks reach the in-process
handlers through a ``before-call.lambda.Invoke`` hook, SDK integrations
(``arn:aws:states:::sns:publish``, ``aws-sdk:*``) reach moto. What it covers and where
it falls short is in edgeguard_tools.local.stepfunctions.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import io
import json
import logging
import re
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import boto3
from botocore.awsrequest import AWSResponse
from botocore.handlers import BUILTIN_HANDLERS
from botocore.response import StreamingBody
from moto import mock_aws

from edgeguard import clock
from edgeguard_tools.local import alarms, moto_ext
from edgeguard_tools.local import resources as res
from edgeguard_tools.local.creators import CREATORS
from edgeguard_tools.local.handlers import LocalContext, environment, load_handler
from edgeguard_tools.local.origin import OriginStandIn, origin_acl_from_template
from edgeguard_tools.local.patterns import matches
from edgeguard_tools.local.telegram_server import TelegramStandIn
from edgeguard_tools.local.template import (
    ACCOUNT_ID,
    NO_VALUE,
    REGION,
    Template,
    default_template_path,
    load_template,
    topological_order,
)
from edgeguard_tools.local.wiring import (
    FUNCTION_TYPES,
    STATE_MACHINE_TYPES,
    QueueSource,
    Rule,
    StreamSource,
    Target,
    Wiring,
    read_wiring,
)

LOG = logging.getLogger("edgeguard_tools.local")
_DYNAMIC_REFERENCE = re.compile(r"\{\{resolve:(secretsmanager|ssm-secure|ssm):([^}]+)\}\}")
TELEGRAM_CHAT_ID = "42"
MAX_PUMP_ROUNDS = 200
EXECUTION_TIMEOUT_SECONDS = 60.0


class DeliveryError(RuntimeError):
    """A function failed while the local cloud delivered to it (after its retries)."""


class RotationFailed(RuntimeError):
    """A rotation step still failed after Secrets Manager's retry."""


@dataclass
class Invocation:
    """One function call the local cloud made: what went in, what came out."""

    logical_id: str
    source: str
    event: Any
    result: Any = None
    error: BaseException | None = None


@dataclass
class RotationReport:
    token: str
    steps: list[tuple[str, int]] = field(default_factory=list)  # (step, attempts)


@dataclass
class _Pending:
    kind: str  # sns | event | execution
    payload: Any


@dataclass
class _Registry:
    """The running cloud the botocore hooks deliver for (one per process)."""

    cloud: LocalCloud | None = None


_ACTIVE = _Registry()
_CLIENTS: dict[str, Any] = {}


class LocalCloud:
    """The template's resources and wiring on moto; see the module docstring."""

    @staticmethod
    def running() -> LocalCloud | None:
        """The LocalCloud entered in this process (the CLI joins it), or None."""
        return _ACTIVE.cloud

    def __init__(
        self,
        parameters: dict[str, Any] | None = None,
        template: str | Path | None = None,
        *,
        raise_errors: bool = True,
        quiet: bool = False,
        origin_web_acl: str = "OriginWebAcl",
    ) -> None:
        self._overrides = dict(parameters or {})
        self._template_path = template
        self.raise_errors = raise_errors
        self.quiet = quiet
        self.origin_web_acl = origin_web_acl
        self.template: Template
        self.physical: dict[str, res.Physical] = {}
        self.skipped: dict[str, str] = {}
        self.wiring = Wiring()
        self.invocations: list[Invocation] = []
        self.failures: list[Invocation] = []
        self.telegram = TelegramStandIn(chat_ids=(TELEGRAM_CHAT_ID,))
        self.origin: OriginStandIn | None = None
        self._mock: Any = None
        self._handlers: dict[str, Any] = {}
        self._reverse: dict[str, str] = {}
        self._pending: list[_Pending] = []
        self._lock = threading.RLock()
        self._call_lock = threading.RLock()
        self._depth = 0
        self._pumping = False
        self._queue_retry: dict[str, list[tuple[str, datetime]]] = {}
        self._stream_position: dict[tuple[int, str], str] = {}
        self._stream_attempts: dict[tuple[int, str, str], int] = {}
        self._blocked: set[tuple[int, str]] = set()
        self._minute = datetime.now(UTC)
        self._ticked = timedelta(0)
        self._started_minute = self._minute
        self._output = io.StringIO()
        self.startup_seconds = 0.0

    # ================================================================ lifecycle
    def __enter__(self) -> LocalCloud:
        if _ACTIVE.cloud is not None:
            raise RuntimeError("a LocalCloud is already running in this process")
        started = time.perf_counter()
        self._mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
        self._mock.start()
        moto_ext.install()
        self.telegram.start()
        _ACTIVE.cloud = self
        try:
            # The origin stand-in runs before the template loads so that its URL can be the
            # rotation test's origin (parameter OriginTestUrl); it reads the web ACL lazily.
            self.origin = OriginStandIn(self._read_origin_acl).start()
            parameters = {
                "TelegramChatId": TELEGRAM_CHAT_ID,
                "TelegramApiBase": self.telegram.base_url,
                "OriginTestUrl": self.origin.url,
                "OriginWafPropagationSeconds": "0",  # moto applies a web ACL update at once
            }
            self.template = Template.load(self._template_path, self._default_parameters(parameters))
            self._provision()
            self.wiring = read_wiring(self)
            self.skipped.update(self.wiring.unsupported)
            for rotation in self.wiring.rotations:
                days = 30
                if rotation.schedule and rotation.schedule.rate_minutes:
                    days = max(1, rotation.schedule.rate_minutes // 1440)
                _configure_rotation(
                    self.resource(rotation.secret),
                    self.attribute(rotation.function, "Arn"),
                    days,
                )
            self._fill_telegram_token()
            self._start_origin()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        now = clock.utcnow()
        self._minute = self._started_minute = now.replace(second=0, microsecond=0)
        self.startup_seconds = time.perf_counter() - started
        return self

    def __exit__(self, *exc: object) -> None:
        for arn in self._running_executions():
            self._wait_execution(arn, timeout=5.0)
        if self.origin is not None:
            self.origin.stop()
        self.telegram.stop()
        if self._ticked:
            clock.advance(-self._ticked)
            self._ticked = timedelta(0)
        if _ACTIVE.cloud is self:
            _ACTIVE.cloud = None
        if self._mock is not None:
            self._mock.stop()
            self._mock = None

    def _default_parameters(self, local: dict[str, str]) -> dict[str, Any]:
        declared = self._declared_parameters()
        merged = {key: value for key, value in local.items() if key in declared}
        merged.update(self._overrides)
        return merged

    def _declared_parameters(self) -> set[str]:
        path = self._template_path or default_template_path()
        return set((load_template(path).get("Parameters") or {}).keys())

    # =================================================================== lookup
    def client(self, service: str) -> Any:
        """A boto3 client on the local cloud.

        Clients are kept for the process: moto's stubber and the local cloud's hooks sit
        on every botocore session, and building a client (loading its service model)
        is the largest part of starting a cloud. Outside a running cloud there is none.
        """
        if self._mock is None:
            raise RuntimeError("the local cloud is not running")
        if service not in _CLIENTS:
            _CLIENTS[service] = boto3.client(service, region_name=REGION)
        return _CLIENTS[service]

    def resource(self, logical_id: str) -> Any:
        """Physical name or ARN, what ``!Ref`` gives in CloudFormation."""
        if logical_id not in self.physical:
            raise KeyError(f"{logical_id} is not a resource of {self.template.path.name}")
        return self.physical[logical_id].ref

    def attribute(self, logical_id: str, name: str) -> Any:
        """What ``!GetAtt logical_id.name`` gives."""
        physical = self.physical.get(logical_id)
        if physical is None:
            raise KeyError(f"{logical_id} is not a resource of {self.template.path.name}")
        if name not in physical.attributes:
            if physical.created:
                raise KeyError(f"{logical_id} has no attribute {name} locally")
            # a resource that is not emulated: a stable stand-in value, so what refers to
            # it (an ALB's DNSName as a CloudFront origin, a role's Arn) still resolves
            physical.attributes[name] = res.virtual_attribute(logical_id, name)
            self._reverse.setdefault(physical.attributes[name], logical_id)
        return physical.attributes[name]

    def resolve(self, value: Any) -> Any:
        """Resolve intrinsics and dynamic references against this cloud's resources."""
        resolved = self.template.resolve(value, ref=self.resource, att=self.attribute)
        return None if resolved is NO_VALUE else self._dynamic_references(resolved)

    def _dynamic_references(self, value: Any) -> Any:
        """Dynamic references ({{resolve:secretsmanager:...}}, ssm), as CloudFormation does."""
        if isinstance(value, dict):
            return {key: self._dynamic_references(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self._dynamic_references(item) for item in value]
        if not isinstance(value, str) or "{{resolve:" not in value:
            return value
        return _DYNAMIC_REFERENCE.sub(lambda m: self._dynamic_value(m.group(1), m.group(2)), value)

    def _dynamic_value(self, service: str, reference: str) -> str:
        if service in {"ssm", "ssm-secure"}:
            name, _, version = reference.partition(":")
            parameter = f"{name}:{version}" if version else name
            return str(
                self.client("ssm").get_parameter(Name=parameter, WithDecryption=True)["Parameter"][
                    "Value"
                ]
            )
        parts = reference.split(":")
        cut = 7 if reference.startswith("arn:") else 1
        secret_id, rest = ":".join(parts[:cut]), parts[cut:]
        rest += [""] * (4 - len(rest))
        _, json_key, stage, version = rest[:4]
        args: dict[str, Any] = {"SecretId": secret_id}
        if version:
            args["VersionId"] = version
        elif stage:
            args["VersionStage"] = stage
        text = self.client("secretsmanager").get_secret_value(**args)["SecretString"]
        return str(json.loads(text)[json_key]) if json_key else text

    def logical_for(self, value: Any) -> str:
        """The logical id behind a physical name/ARN/URL (or a literal ARN in the template)."""
        text = str(value)
        if text in self._reverse:
            return self._reverse[text]
        if text in self.physical:
            return text
        raise KeyError(f"{text} is not a resource of {self.template.path.name}")

    def kind_of(self, logical_id: str) -> str:
        kind = self.template.resources()[logical_id]["Type"]
        if kind in FUNCTION_TYPES:
            return "function"
        if kind in STATE_MACHINE_TYPES:
            return "statemachine"
        return {"AWS::SNS::Topic": "topic", "AWS::SQS::Queue": "queue"}.get(kind, "unknown")

    @property
    def telegram_messages(self) -> list[dict[str, Any]]:
        """Messages the Telegram stand-in accepted (``text`` plain, ``html`` as sent)."""
        return self.telegram.messages

    @property
    def origin_url(self) -> str:
        if self.origin is None:
            raise RuntimeError(f"the template declares no {self.origin_web_acl} web ACL")
        return self.origin.url

    # ============================================================ provisioning
    def _provision(self) -> None:
        resources = self.template.resources()
        for logical_id, resource in resources.items():
            kind = resource["Type"]
            if kind not in CREATORS and kind not in STATE_MACHINE_TYPES:
                props = self.template.resolve(
                    resource.get("Properties") or {}, ref=self._lazy_ref, att=self._lazy_att
                )
                self.physical[logical_id] = res.virtual_physical(
                    self.template, logical_id, kind, props
                )
                emulated = res.WIRING_TYPES.keys() | res.INERT_TYPES | res.STAND_IN_TYPES.keys()
                if kind not in emulated:
                    self.skipped[logical_id] = f"{kind} is not emulated locally"
        creatable = [
            k
            for k, r in resources.items()
            if r["Type"] in CREATORS or r["Type"] in STATE_MACHINE_TYPES
        ]
        for logical_id in topological_order(self.template, creatable):
            resource = resources[logical_id]
            kind = resource["Type"]
            props = self.resolve(resource.get("Properties") or {})
            name = f"{self.template.stack_name}-{logical_id}"
            if kind in STATE_MACHINE_TYPES:
                physical = self._create_state_machine(logical_id, props)
            else:
                physical = CREATORS[kind](self.client, name, props)
            self.physical[logical_id] = physical
        for logical_id, physical in self.physical.items():
            for value in [physical.ref, *physical.attributes.values()]:
                if isinstance(value, str):
                    self._reverse.setdefault(value, logical_id)

    def _lazy_ref(self, logical_id: str) -> Any:
        if logical_id in self.physical:
            return self.physical[logical_id].ref
        return f"<{logical_id}>"

    def _lazy_att(self, logical_id: str, name: str) -> Any:
        physical = self.physical.get(logical_id)
        if physical is not None and name in physical.attributes:
            return physical.attributes[name]
        return res.virtual_attribute(logical_id, name)

    def _create_state_machine(self, logical_id: str, props: dict[str, Any]) -> res.Physical:
        definition = res.state_machine_definition(self.template, props)
        name = str(props.get("Name") or props.get("StateMachineName") or f"{logical_id}-local")
        response = self.client("stepfunctions").create_state_machine(
            name=name,
            definition=definition,
            roleArn=str(
                props.get("Role") or props.get("RoleArn") or f"arn:aws:iam::{ACCOUNT_ID}:role/local"
            ),
            type=props.get("Type", "STANDARD"),
        )
        arn = response["stateMachineArn"]
        return res.Physical(arn, {"Arn": arn, "Name": name}, True)

    def subscribe_queue(self, topic: str, endpoint: Any, props: dict[str, Any]) -> None:
        """SNS -> SQS subscriptions are moto's own: create them there."""
        attributes = {}
        if props.get("RawMessageDelivery"):
            attributes["RawMessageDelivery"] = "true"
        if props.get("FilterPolicy"):
            attributes["FilterPolicy"] = json.dumps(props["FilterPolicy"])
        self.client("sns").subscribe(
            TopicArn=self.resource(topic),
            Protocol="sqs",
            Endpoint=str(endpoint),
            Attributes=attributes,
        )

    def _fill_telegram_token(self) -> None:
        if (
            "TelegramBotTokenSecret" in self.physical
            and self.physical["TelegramBotTokenSecret"].created
        ):
            self.client("secretsmanager").put_secret_value(
                SecretId=self.resource("TelegramBotTokenSecret"),
                SecretString=json.dumps({"bot_token": self.telegram.token}),
            )

    def _start_origin(self) -> None:
        created = (
            self.origin_web_acl in self.physical and self.physical[self.origin_web_acl].created
        )
        if not created and self.origin is not None:
            self.origin.stop()
            self.origin = None

    def _read_origin_acl(self) -> dict[str, Any]:
        reader = origin_acl_from_template(self.client("wafv2"), self.resource(self.origin_web_acl))
        return reader()

    # ============================================================== functions
    def function_environment(self, logical_id: str) -> dict[str, str]:
        """The function's Environment.Variables resolved, plus what Lambda sets itself."""
        resource = self.template.resources()[logical_id]
        props = resource.get("Properties") or {}
        variables = self.resolve((props.get("Environment") or {}).get("Variables") or {})
        name = self.resource(logical_id)
        env = {key: _env_text(value) for key, value in variables.items()}
        env.setdefault("POWERTOOLS_TRACE_DISABLED", "1")
        env |= {
            "AWS_LAMBDA_FUNCTION_NAME": name,
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
        }
        return env

    def invoke(self, logical_id: str, event: Any, source: str = "invoke") -> Any:
        """Run one function synchronously (RequestResponse) with its template environment."""
        with self._operation():
            return self._call(logical_id, event, source)

    def _call(self, logical_id: str, event: Any, source: str) -> Any:
        resource = self.template.resources().get(logical_id)
        if resource is None or resource["Type"] not in FUNCTION_TYPES:
            raise KeyError(f"{logical_id} is not a function of {self.template.path.name}")
        props = resource.get("Properties") or {}
        code_uri = props.get("CodeUri")
        if not isinstance(code_uri, str):
            raise ValueError(f"{logical_id}: CodeUri must be a local path to run in process")
        code_dir = (self.template.root / code_uri).resolve()
        env = self.function_environment(logical_id)
        context = LocalContext(
            function_name=env["AWS_LAMBDA_FUNCTION_NAME"],
            timeout_seconds=float(props.get("Timeout", 3)),
            memory_limit_in_mb=int(props.get("MemorySize", 128)),
        )
        record = Invocation(logical_id, source, copy.deepcopy(event))
        self.invocations.append(record)
        # one function at a time: os.environ is process-wide, and moto runs Map and
        # Parallel branches in threads; serial calls keep each function's environment its own
        with self._call_lock, environment(env), self._function_output():
            try:
                handler = self._handlers.get(logical_id)
                if handler is None:
                    handler = load_handler(
                        str(code_dir), props.get("Handler", "app.handler"), fresh=True
                    )
                    self._handlers[logical_id] = handler
                record.result = handler(event, context)
            except Exception as error:
                record.error = error
                raise
        return record.result

    @contextmanager
    def _function_output(self) -> Iterator[None]:
        if self.quiet:
            with redirect_stdout(self._output):
                yield
        else:
            yield

    def _invoke_async(self, logical_id: str, event: Any, source: str) -> bool:
        """Lambda's asynchronous invocation: retries, then the DLQ / on-failure destination."""
        config = self.wiring.async_config.get(logical_id)
        attempts = 1 + (config.maximum_retry_attempts if config else 2)
        error: BaseException | None = None
        for _ in range(attempts):
            try:
                self._call(logical_id, event, source)
                return True
            except Exception as caught:
                error = caught
        assert error is not None
        self._record_failure(logical_id, source, event, error)
        if config and config.dead_letter_target:
            self._send_to(config.dead_letter_target, event)
        if self.raise_errors:
            raise DeliveryError(
                f"{logical_id} failed on {source} after {attempts} attempt(s): {error!r}"
            ) from error
        return False

    def _record_failure(
        self, logical_id: str, source: str, event: Any, error: BaseException
    ) -> None:
        self.failures.append(Invocation(logical_id, source, event, error=error))
        LOG.warning(
            "%s failed on %s: %s",
            logical_id,
            source,
            "".join(traceback.format_exception_only(error)).strip(),
        )

    def _send_to(self, logical_id: str, payload: Any) -> None:
        kind = self.kind_of(logical_id)
        body = payload if isinstance(payload, str) else json.dumps(payload, default=str)
        if kind == "queue":
            self.client("sqs").send_message(QueueUrl=self.resource(logical_id), MessageBody=body)
        elif kind == "topic":
            self.client("sns").publish(TopicArn=self.resource(logical_id), Message=body)
        else:
            raise ValueError(f"cannot send to {logical_id} ({kind})")

    # ============================================================ operations
    @contextmanager
    def _operation(self) -> Iterator[None]:
        with self._lock:
            self._depth += 1
        try:
            yield
        finally:
            with self._lock:
                self._depth -= 1
                outermost = self._depth == 0
            if outermost and sys.exc_info()[0] is None:
                self._pump()

    @contextmanager
    def deferred(self) -> Iterator[None]:
        """Deliver what the block starts only when it ends (e.g. several objects as one batch)."""
        with self._operation():
            yield

    def _pump(self) -> None:
        """Deliver everything pending, poll queues and streams, until nothing moves.

        The lock guards only the pending list and the depth counter: a state machine's
        worker thread must be able to queue its publications while the pump waits for it.
        """
        with self._lock:
            if self._pumping:
                return
            self._pumping = True
            self._depth += 1
        try:
            for _ in range(MAX_PUMP_ROUNDS):
                moved = False
                while (item := self._next_pending()) is not None:
                    self._deliver_pending(item)
                    moved = True
                for source in self.wiring.queue_sources:
                    moved |= self._poll_queue(source)
                for index, source in enumerate(self.wiring.stream_sources):
                    moved |= self._poll_stream(index, source)
                if not moved:
                    return
            raise RuntimeError("the local cloud kept delivering for 200 rounds: a loop?")
        finally:
            with self._lock:
                self._pumping = False
                self._depth -= 1

    def _next_pending(self) -> _Pending | None:
        with self._lock:
            return self._pending.pop(0) if self._pending else None

    def _deliver_pending(self, item: _Pending) -> None:
        if item.kind == "sns":
            self._deliver_sns(item.payload)
        elif item.kind == "event":
            event, bus = item.payload
            self._route(event, bus)
        elif item.kind == "execution":
            self._wait_execution(item.payload)

    # ============================================================ EventBridge
    def put_event(self, event: dict[str, Any], bus: str = "default") -> list[str]:
        """Route an EventBridge event by the template's rules; returns the targets reached."""
        with self._operation():
            return self._route(_complete_event(event), bus)

    def _route(self, event: dict[str, Any], bus: str = "default") -> list[str]:
        reached: list[str] = []
        for rule in self.wiring.rules:
            if rule.pattern is None or not rule.enabled or rule.bus != bus:
                continue
            if matches(rule.pattern, event):
                for target in rule.targets:
                    self._deliver_target(target, event, f"rule {rule.logical_id}")
                    reached.append(target.logical_id)
        return reached

    def _deliver_target(self, target: Target, event: dict[str, Any], source: str) -> None:
        payload = _shape(target, event)
        if target.kind == "function":
            self._invoke_async(target.logical_id, payload, source)
        elif target.kind == "statemachine":
            self.start_execution(target.logical_id, payload)
        elif target.kind in {"topic", "queue"}:
            self._send_to(target.logical_id, payload)
        else:
            self.skipped.setdefault(
                f"target {target.logical_id}", f"{target.arn}: not delivered locally"
            )

    # ============================================================ CloudWatch
    def set_alarm_state(
        self,
        logical_id: str,
        state: str = "ALARM",
        reason: str = "Threshold Crossed (local cloud)",
        reason_data: dict[str, Any] | None = None,
    ) -> list[str]:
        """Move an alarm to ``state`` and emit what CloudWatch emits on a change.

        The "CloudWatch Alarm State Change" event is routed by the template's rules and
        the state's actions run (SNS topics get the alarm notification, functions the
        Lambda alarm payload). Returns the logical ids reached; nothing when the state
        did not change.
        """
        cloudwatch = self.client("cloudwatch")
        name = self.resource(logical_id)
        (alarm,) = cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"]
        old_value, old_reason = alarm["StateValue"], alarm.get("StateReason", "")
        data = json.dumps(reason_data) if reason_data is not None else None
        args = {"AlarmName": name, "StateValue": state, "StateReason": reason}
        if data:
            args["StateReasonData"] = data
        with self._operation():
            cloudwatch.set_alarm_state(**args)
            if old_value == state:
                return []
            when = clock.utcnow()
            previous, new = alarms.new_states((old_value, old_reason), (state, reason, data), when)
            reached = self._route(alarms.state_change_event(alarm, previous, new, when))
            if not alarm.get("ActionsEnabled", True):
                return reached
            key = {"ALARM": "AlarmActions", "OK": "OKActions"}.get(state, "InsufficientDataActions")
            for action in alarm.get(key, []):
                target = self._reverse.get(action)
                if target is None:
                    self.skipped.setdefault(
                        f"alarm action {action}", "not a resource of the template"
                    )
                    continue
                kind = self.kind_of(target)
                if kind == "topic":
                    subject, message = alarms.sns_notification(alarm, old_value, new, when)
                    self.client("sns").publish(TopicArn=action, Subject=subject, Message=message)
                elif kind == "function":
                    payload = alarms.lambda_action_payload(alarm, previous, new, when)
                    self._invoke_async(target, payload, f"alarm {logical_id}")
                reached.append(target)
            return reached

    # ======================================================== Step Functions
    def start_execution(self, logical_id: str, payload: Any, wait: bool = True) -> dict[str, Any]:
        """Start a state machine execution (moto runs it); returns describe_execution."""
        sfn = self.client("stepfunctions")
        with self._operation():
            arn = sfn.start_execution(
                stateMachineArn=self.resource(logical_id),
                name=uuid.uuid4().hex,
                input=json.dumps(payload, default=str),
            )["executionArn"]
            if not wait:
                return {"executionArn": arn, "status": "RUNNING"}
            return self._wait_execution(arn)

    def _wait_execution(
        self, arn: str, timeout: float = EXECUTION_TIMEOUT_SECONDS
    ) -> dict[str, Any]:
        sfn = self.client("stepfunctions")
        deadline = time.monotonic() + timeout
        pause = 0.002
        while True:
            description = sfn.describe_execution(executionArn=arn)
            if description["status"] != "RUNNING":
                return dict(description)
            if time.monotonic() > deadline:
                raise TimeoutError(f"execution {arn} still running after {timeout}s")
            time.sleep(pause)
            pause = min(pause * 2, 0.05)

    def _running_executions(self) -> list[str]:
        if self._mock is None:
            return []
        try:
            sfn = self.client("stepfunctions")
            arns = []
            for logical_id, resource in self.template.resources().items():
                if resource["Type"] in STATE_MACHINE_TYPES and logical_id in self.physical:
                    listed = sfn.list_executions(
                        stateMachineArn=self.resource(logical_id), statusFilter="RUNNING"
                    )
                    arns += [item["executionArn"] for item in listed["executions"]]
            return arns
        except Exception:  # the cloud is shutting down; nothing to wait for
            return []

    # ===================================================================== SNS
    def _deliver_sns(self, message: dict[str, Any]) -> None:
        topic = self._reverse.get(message["TopicArn"])
        if topic is None:
            return
        for subscription in self.wiring.subscriptions:
            if subscription.topic != topic:
                continue
            if subscription.filter_policy and not _passes_filter(subscription, message):
                continue
            event = _sns_event(message, f"{message['TopicArn']}:{uuid.uuid4()}")
            self._invoke_async(subscription.function, event, f"topic {topic}")

    # ===================================================================== SQS
    def put_object(self, bucket_logical_id: str, key: str, body: bytes | str) -> None:
        """Put an object; the bucket's notification reaches its queue and its consumer."""
        with self._operation():
            data = body.encode() if isinstance(body, str) else body
            self.client("s3").put_object(
                Bucket=self.resource(bucket_logical_id), Key=key, Body=data
            )

    def _poll_queue(self, source: QueueSource) -> bool:
        if not source.enabled:
            return False
        sqs = self.client("sqs")
        url = self.resource(source.queue)
        messages: list[dict[str, Any]] = []
        while len(messages) < source.batch_size:
            response = sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=min(10, source.batch_size - len(messages)),
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
            batch = response.get("Messages", [])
            if not batch:
                break
            messages += batch
        if not messages:
            return False
        arn = self.attribute(source.queue, "Arn")
        records = [_sqs_record(message, arn) for message in messages]
        kept = [
            r
            for r in records
            if not source.filters or any(matches(f, _filterable(r)) for f in source.filters)
        ]
        dropped = [r for r in records if r not in kept]
        for record in dropped:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=record["receiptHandle"])
        if not kept:
            return True
        failed_ids = self._run_batch(
            source.function, {"Records": kept}, source.report_failures, f"queue {source.queue}"
        )
        visibility = int(
            sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])[
                "Attributes"
            ]["VisibilityTimeout"]
        )
        retry_at = clock.utcnow() + timedelta(seconds=visibility)
        for record in kept:
            if record["messageId"] in failed_ids:
                self._queue_retry.setdefault(source.queue, []).append(
                    (record["receiptHandle"], retry_at)
                )
            else:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=record["receiptHandle"])
        return True

    def _run_batch(
        self, function: str, event: dict[str, Any], report: bool, source: str
    ) -> set[str]:
        """Run a batch; return the ids that failed (all of them when the function raised)."""
        ids = [_record_id(record) for record in event["Records"]]
        try:
            result = self._call(function, event, source)
        except Exception as error:
            self._record_failure(function, source, event, error)
            if self.raise_errors:
                raise DeliveryError(f"{function} failed on {source}: {error!r}") from error
            return set(ids)
        if not report or not isinstance(result, dict) or not result.get("batchItemFailures"):
            return set()
        failed = {str(item.get("itemIdentifier") or "") for item in result["batchItemFailures"]}
        if "" in failed or not failed <= set(ids):
            return set(ids)  # Lambda treats a malformed response as a failed batch
        return failed

    def queue_depth(self, logical_id: str) -> dict[str, int]:
        """Visible and in-flight message counts of a queue."""
        attributes = self.client("sqs").get_queue_attributes(
            QueueUrl=self.resource(logical_id),
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return {
            "visible": int(attributes["ApproximateNumberOfMessages"]),
            "in_flight": int(attributes["ApproximateNumberOfMessagesNotVisible"]),
        }

    # ================================================================= streams
    def _poll_stream(self, index: int, source: StreamSource) -> bool:
        if not source.enabled:
            return False
        streams = self.client("dynamodbstreams")
        stream_arn = self.attribute(source.table, "StreamArn")
        moved = False
        for shard in streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]:
            shard_id = shard["ShardId"]
            if (index, shard_id) in self._blocked:
                continue  # a failed batch is retried on the next tick, as Lambda backs off
            position = self._stream_position.get((index, shard_id))
            args: dict[str, Any] = {"StreamArn": stream_arn, "ShardId": shard_id}
            if position:
                args |= {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": position}
            else:
                args["ShardIteratorType"] = "TRIM_HORIZON"
            iterator = streams.get_shard_iterator(**args)["ShardIterator"]
            records = streams.get_records(ShardIterator=iterator, Limit=source.batch_size)[
                "Records"
            ]
            if not records:
                continue
            moved = True
            records = [_stream_record(record, stream_arn) for record in records]
            kept = [
                r
                for r in records
                if not source.filters or any(matches(f, r) for f in source.filters)
            ]
            last = records[-1]["dynamodb"]["SequenceNumber"]
            failed = (
                self._run_batch(
                    source.function,
                    {"Records": kept},
                    source.report_failures,
                    f"stream {source.table}",
                )
                if kept
                else set()
            )
            if not failed:
                self._stream_position[(index, shard_id)] = last
                continue
            first_failed = min(failed, key=int)
            key = (index, shard_id, first_failed)
            self._stream_attempts[key] = self._stream_attempts.get(key, 0) + 1
            if 0 <= source.maximum_retry_attempts < self._stream_attempts[key]:
                self._stream_position[(index, shard_id)] = last  # given up, as Lambda does
                continue
            done = [
                r["dynamodb"]["SequenceNumber"]
                for r in records
                if int(r["dynamodb"]["SequenceNumber"]) < int(first_failed)
            ]
            if done:
                self._stream_position[(index, shard_id)] = done[-1]
            self._blocked.add((index, shard_id))
        return moved

    # =================================================================== time
    def tick(self, minutes: int = 1) -> list[str]:
        """Advance the clock minute by minute; fire schedules and due retries."""
        if minutes < 0:
            raise ValueError("time only moves forward")
        fired: list[str] = []
        with self._operation():
            for _ in range(minutes):
                self._minute += timedelta(minutes=1)
                self._ticked += timedelta(minutes=1)
                clock.advance(timedelta(minutes=1))
                for rule in self.wiring.rules:
                    if (
                        rule.schedule
                        and rule.enabled
                        and rule.schedule.due(self._minute, self._started_minute)
                    ):
                        fired += self._fire_schedule(rule)
                for rotation in self.wiring.rotations:
                    if rotation.schedule and rotation.schedule.due(
                        self._minute, self._started_minute
                    ):
                        self.rotate_secret(rotation.secret)
                        fired.append(rotation.function)
                self._release_retries()
                self._pump()
        return fired

    def _fire_schedule(self, rule: Rule) -> list[str]:
        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": ACCOUNT_ID,
            "time": self._minute.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": REGION,
            "resources": [f"arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/{rule.logical_id}"],
            "detail": {},
        }
        for declared in rule.targets:
            target = declared
            if rule.scheduler and target.input is None:
                target = copy.copy(declared)
                target.input = "{}"
            self._deliver_target(target, event, f"schedule {rule.logical_id}")
        return [target.logical_id for target in rule.targets]

    def _release_retries(self) -> None:
        now = clock.utcnow()
        sqs = self.client("sqs")
        for queue, waiting in self._queue_retry.items():
            due = [handle for handle, at in waiting if at <= now]
            self._queue_retry[queue] = [(handle, at) for handle, at in waiting if at > now]
            for handle in due:
                try:
                    sqs.change_message_visibility(
                        QueueUrl=self.resource(queue), ReceiptHandle=handle, VisibilityTimeout=0
                    )
                except Exception:  # noqa: S112 - the message already left (deleted or redriven)
                    continue
        self._blocked.clear()

    # ================================================================ rotation
    def rotate_secret(self, logical_id: str, retries: int = 1) -> RotationReport:
        """Drive the rotation function through its four steps as Secrets Manager does."""
        rotation = next((r for r in self.wiring.rotations if r.secret == logical_id), None)
        if rotation is None:
            raise KeyError(
                f"{logical_id} has no AWS::SecretsManager::RotationSchedule in the template"
            )
        secret_arn = self.resource(logical_id)
        token = str(uuid.uuid4())
        report = RotationReport(token)
        with self._operation():
            _stage_pending_version(secret_arn, token)
            for step in ("createSecret", "setSecret", "testSecret", "finishSecret"):
                event = {
                    "Step": step,
                    "SecretId": secret_arn,
                    "ClientRequestToken": token,
                    "RotationToken": str(uuid.uuid4()),
                }
                for attempt in range(1, retries + 2):
                    try:
                        self._call(rotation.function, event, f"rotation {logical_id}")
                        report.steps.append((step, attempt))
                        break
                    except Exception as error:
                        self._record_failure(
                            rotation.function, f"rotation {logical_id} {step}", event, error
                        )
                        if attempt > retries:
                            raise RotationFailed(
                                f"{step} failed {attempt} time(s): {error!r}"
                            ) from error
        return report

    # ================================================================= hooks
    def _after_call(
        self, service: str, operation: str, params: dict[str, Any], parsed: dict[str, Any]
    ) -> None:
        if service == "sns" and operation == "Publish" and parsed.get("MessageId"):
            topic = params.get("TopicArn") or params.get("TargetArn")
            if topic:
                self._queue_pending("sns", _sns_message(params, topic, parsed["MessageId"]))
        elif service == "sns" and operation == "PublishBatch":
            ok = {item["Id"]: item["MessageId"] for item in parsed.get("Successful", [])}
            for entry in params.get("PublishBatchRequestEntries", []):
                if entry.get("Id") in ok:
                    self._queue_pending(
                        "sns", _sns_message(entry, params["TopicArn"], ok[entry["Id"]])
                    )
        elif service == "eventbridge" and operation == "PutEvents":
            for entry in params.get("Entries", []):
                bus = _bus(entry.get("EventBusName"))
                self._queue_pending("event", (_event_from_entry(entry), bus))
        elif service == "sfn" and operation == "StartExecution" and parsed.get("executionArn"):
            self._queue_pending("execution", parsed["executionArn"])
        self._pump_if_top_level()

    def _pump_if_top_level(self) -> None:
        """A call made outside any cloud operation (by a test, a demo) is delivered now."""
        if self._depth == 0 and threading.current_thread() is threading.main_thread():
            self._pump()

    def _queue_pending(self, kind: str, payload: Any) -> None:
        with self._lock:
            self._pending.append(_Pending(kind, payload))

    def _lambda_invoke(self, params: dict[str, Any]) -> tuple[AWSResponse, dict[str, Any]] | None:
        path = params.get("url_path", "")
        name = unquote(path.split("/functions/", 1)[-1].split("/", 1)[0])
        name = name.split(":function:", 1)[-1].split(":", 1)[0] if name.startswith("arn:") else name
        logical_id = next(
            (
                k
                for k, p in self.physical.items()
                if p.ref == name and self.kind_of(k) == "function"
            ),
            None,
        )
        if logical_id is None:
            return None
        body = params.get("body") or b"{}"
        event = json.loads(body or b"{}")
        headers = params.get("headers") or {}
        asynchronous = headers.get("X-Amz-Invocation-Type") == "Event"
        parsed: dict[str, Any] = {
            "StatusCode": 202 if asynchronous else 200,
            "ExecutedVersion": "$LATEST",
        }
        try:
            result = self._call(logical_id, event, "lambda:Invoke")
            payload = b"" if asynchronous else json.dumps(result, default=str).encode()
        except Exception as error:
            payload = json.dumps(
                {
                    "errorMessage": str(error),
                    "errorType": type(error).__name__,
                    "stackTrace": traceback.format_tb(error.__traceback__),
                }
            ).encode()
            parsed["FunctionError"] = "Unhandled"
        parsed["Payload"] = StreamingBody(io.BytesIO(payload), len(payload))
        parsed["ResponseMetadata"] = {
            "HTTPStatusCode": parsed["StatusCode"],
            "RequestId": str(uuid.uuid4()),
        }
        return AWSResponse(
            f"https://lambda.{REGION}.amazonaws.com{path}", parsed["StatusCode"], {}, None
        ), parsed


# ===================================================================== helpers
def _moto_secret(secret_arn: str) -> Any:
    from moto.secretsmanager.models import secretsmanager_backends  # noqa: PLC0415 - moto internals

    return secretsmanager_backends[ACCOUNT_ID][REGION].secrets[secret_arn]


def _configure_rotation(secret_arn: str, function_arn: str, days: int) -> None:
    """What the deployed AWS::SecretsManager::RotationSchedule leaves on the secret."""
    secret = _moto_secret(secret_arn)
    secret.rotation_requested = True
    secret.rotation_enabled = True
    secret.rotation_lambda_arn = function_arn
    secret.auto_rotate_after_days = days


def _stage_pending_version(secret_arn: str, token: str) -> None:
    """What RotateSecret does before it invokes the function: AWSPENDING on an empty version.

    moto's RotateSecret cannot be used here: with a Lambda ARN it runs the function in
    Docker, without one it promotes the new (empty) version to AWSCURRENT at once. So
    the local cloud stages the version on moto's backend the way Secrets Manager does
    and then drives the four steps itself.
    """
    secret = _moto_secret(secret_arn)
    for version_id, version in secret.versions.items():
        stages = version["version_stages"]
        if "AWSPENDING" in stages and "AWSCURRENT" not in stages:
            raise RotationFailed(
                f"a previous rotation is still in progress (AWSPENDING is on {version_id})"
            )
    secret.remove_version_stages_from_old_versions(["AWSPENDING"])
    secret.versions[token] = {
        "createdate": int(time.time()),
        "version_id": token,
        "version_stages": ["AWSPENDING"],
    }
    secret.last_rotation_date = int(time.time())


def _record_id(record: dict[str, Any]) -> str:
    """The itemIdentifier Lambda expects: messageId (SQS) or SequenceNumber (streams)."""
    if "messageId" in record:
        return str(record["messageId"])
    return str(record["dynamodb"]["SequenceNumber"])


def _env_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(map(str, value))
    return "" if value is None else str(value)


def _complete_event(event: dict[str, Any]) -> dict[str, Any]:
    """Fill the envelope fields EventBridge adds, keeping what the caller gave."""
    out = {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": event.get("detail-type", ""),
        "source": event.get("source", ""),
        "account": ACCOUNT_ID,
        "time": clock.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [],
        "detail": {},
    }
    out.update(event)
    return out


def _bus(value: Any) -> str:
    """An event bus name from a name or an ARN (default when absent)."""
    text = str(value or "default")
    return text.rsplit("/", 1)[-1] if text.startswith("arn:") else text


def _event_from_entry(entry: dict[str, Any]) -> dict[str, Any]:
    detail = entry.get("Detail") or "{}"
    when = entry.get("Time")
    event = {
        "detail-type": entry.get("DetailType", ""),
        "source": entry.get("Source", ""),
        "resources": entry.get("Resources", []),
        "detail": json.loads(detail) if isinstance(detail, str) else detail,
    }
    if isinstance(when, datetime):
        event["time"] = when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return _complete_event(event)


def _json_path(data: Any, path: str) -> Any:
    if path in {"$", ""}:
        return data
    current = data
    for part in path.lstrip("$").lstrip(".").split("."):
        if not isinstance(current, dict) or part not in current:
            return None
        current = current[part]
    return current


def _shape(target: Target, event: dict[str, Any]) -> Any:
    """Input / InputPath / InputTransformer, as EventBridge applies them."""
    if target.input is not None:
        return json.loads(target.input)
    if target.input_path:
        return _json_path(event, target.input_path)
    if target.input_transformer:
        return transform_input(target.input_transformer, event)
    return event


def transform_input(transformer: dict[str, Any], event: dict[str, Any]) -> Any:
    """EventBridge's InputTransformer: ``<name>`` placeholders filled from InputPathsMap.

    In a JSON template a placeholder outside quotes becomes the value as JSON (strings
    quoted), inside a string literal its text; a template that is not JSON is a string.
    """
    paths = transformer.get("InputPathsMap") or {}
    values = {name: _json_path(event, path) for name, path in paths.items()}
    template = str(transformer.get("InputTemplate", ""))
    is_json = template.lstrip().startswith(("{", "["))

    def text_of(value: Any) -> str:
        return value if isinstance(value, str) else json.dumps(value)

    out: list[str] = []
    in_string, index = False, 0
    while index < len(template):
        char = template[index]
        if char == "\\" and in_string:
            out.append(template[index : index + 2])
            index += 2
            continue
        if char == '"':
            in_string = not in_string
        if char == "<":
            end = template.find(">", index)
            name = template[index + 1 : end] if end > 0 else ""
            if name in values:
                value = values[name]
                if not is_json:
                    out.append(text_of(value))
                elif in_string:
                    out.append(json.dumps(text_of(value))[1:-1])
                else:
                    out.append(json.dumps(value))
                index = end + 1
                continue
        out.append(char)
        index += 1
    text = "".join(out)
    if not is_json:
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def _sns_message(params: dict[str, Any], topic: str, message_id: str) -> dict[str, Any]:
    message = params.get("Message", "")
    if params.get("MessageStructure") == "json":
        structured = json.loads(message)
        message = structured.get("lambda", structured.get("default", ""))
    return {
        "TopicArn": topic,
        "MessageId": message_id,
        "Message": message,
        "Subject": params.get("Subject"),
        "MessageAttributes": params.get("MessageAttributes") or {},
        "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
    }


def _sns_event(message: dict[str, Any], subscription_arn: str) -> dict[str, Any]:
    """The event Lambda receives from an SNS subscription (one record per message)."""
    attributes = {
        name: {
            "Type": value.get("DataType", "String"),
            "Value": value.get("StringValue")
            if "StringValue" in value
            else base64.b64encode(value.get("BinaryValue", b"")).decode(),
        }
        for name, value in message["MessageAttributes"].items()
    }
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": subscription_arn,
                "Sns": {
                    "Type": "Notification",
                    "MessageId": message["MessageId"],
                    "TopicArn": message["TopicArn"],
                    "Subject": message["Subject"],
                    "Message": message["Message"],
                    "Timestamp": message["Timestamp"],
                    "SignatureVersion": "1",
                    "Signature": "LOCAL",
                    "SigningCertUrl": "https://sns.us-east-1.amazonaws.com/local.pem",
                    "UnsubscribeUrl": f"https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={subscription_arn}",
                    "MessageAttributes": attributes,
                },
            }
        ]
    }


def _passes_filter(subscription: Any, message: dict[str, Any]) -> bool:
    """SNS filter policies use the same operators as event patterns."""
    if subscription.filter_scope == "MessageBody":
        try:
            body = json.loads(message["Message"])
        except ValueError:
            return False
        return isinstance(body, dict) and matches(subscription.filter_policy, body)
    attributes: dict[str, Any] = {}
    for name, value in message["MessageAttributes"].items():
        text = value.get("StringValue")
        kind = value.get("DataType", "String")
        if kind == "Number":
            attributes[name] = float(text)
        elif kind == "String.Array":
            attributes[name] = json.loads(text)
        else:
            attributes[name] = text
    return matches(subscription.filter_policy, attributes)


def _sqs_record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    """The record shape Lambda's SQS event source delivers."""
    attributes = {
        name: {
            "stringValue": value.get("StringValue"),
            "binaryValue": base64.b64encode(value["BinaryValue"]).decode()
            if "BinaryValue" in value
            else None,
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": value.get("DataType", "String"),
        }
        for name, value in (message.get("MessageAttributes") or {}).items()
    }
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": attributes,
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    }


def _filterable(record: dict[str, Any]) -> dict[str, Any]:
    """Lambda filters SQS records on the body parsed as JSON when it is JSON."""
    out = dict(record)
    with contextlib.suppress(ValueError):
        out["body"] = json.loads(record["body"])
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | set | tuple):
        return [_plain(v) for v in value]
    return value


def _stream_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    out = _plain(record)
    out["eventSourceARN"] = stream_arn
    out.setdefault("awsRegion", REGION)
    return out


# ============================================================ botocore hooks
# Registered once, on every botocore session created from now on (moto registers its
# own stubber the same way); they do nothing unless a LocalCloud is running.
_WATCHED = {
    ("sns", "Publish"),
    ("sns", "PublishBatch"),
    ("eventbridge", "PutEvents"),
    ("sfn", "StartExecution"),
}


_READ_ONLY = ("Get", "List", "Describe", "Head", "Scan", "Query", "BatchGet", "Receive", "Select")


def _service_id(model: Any) -> str:
    return str(model.service_model.service_id.hyphenize())


def _hook_params(params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
    if _ACTIVE.cloud is not None and (_service_id(model), model.name) in _WATCHED:
        context["edgeguard_params"] = copy.deepcopy(params)


def _hook_after(
    http_response: Any, parsed: dict[str, Any], model: Any, context: dict[str, Any], **_: Any
) -> None:
    cloud = _ACTIVE.cloud
    if cloud is None:
        return
    if "edgeguard_params" in context:
        cloud._after_call(_service_id(model), model.name, context.pop("edgeguard_params"), parsed)
    elif not model.name.startswith(_READ_ONLY):
        # a write (PutItem, PutObject, SendMessage, ...) may feed a stream or a queue
        cloud._pump_if_top_level()


def _hook_lambda(params: dict[str, Any], **_: Any) -> Any:
    cloud = _ACTIVE.cloud
    if cloud is None:
        return None
    return cloud._lambda_invoke(params)


if not any(item[1] is _hook_after for item in BUILTIN_HANDLERS):
    BUILTIN_HANDLERS.append(("before-parameter-build", _hook_params))
    BUILTIN_HANDLERS.append(("after-call", _hook_after))
    BUILTIN_HANDLERS.append(("before-call.lambda.Invoke", _hook_lambda))
