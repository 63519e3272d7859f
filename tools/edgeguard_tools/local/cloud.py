"""``LocalCloud``: template.yaml running on this machine, moto in-process, no AWS account.

``with LocalCloud(parameters=None, template=None) as cloud:`` starts moto, creates the
template's resources (provisioning; what is not emulated is in ``cloud.skipped``) and
delivers along the template's own wiring (wiring), synchronously and in process:

- ``put_event(event)``: EventBridge rules' real patterns -> functions, state machines,
  topics, queues; returns the targets reached (delivery.eventbridge). ``events.put_events``
  from any code is routed the same way; SNS publications reach subscribed functions
  (delivery.sns: the notifier -> the Telegram stand-in, ``cloud.telegram_messages``).
- ``put_object(bucket, key, body)``: S3 -> SQS -> the consuming function, in batches
  (delivery.sqs); DynamoDB stream records reach their consumers (delivery.streams).
- ``tick(minutes=1)``: the clock moves on; schedules, rotations, retries (delivery.schedules).
- ``rotate_secret(logical_id)``: the four rotation steps like Secrets Manager (delivery.rotation).
- ``invoke(logical_id, event)``: one function with its template environment (runtime).
- ``set_alarm_state(logical_id, "ALARM")``: what CloudWatch emits (delivery.alarms).
- ``start_execution(logical_id, input)``: a state machine run (delivery.stepfunctions).
- ``origin_url``: the ALB stand-in behind ``OriginWebAcl`` (origin); function URLs (function_urls).
- Lookups (stack): ``resource`` (Ref), ``attribute`` (GetAtt), ``resolve``, ``logical_for``,
  ``kind_of``; ``function_environment``, ``queue_depth``, ``client(service)``.

Delivery stays synchronous: botocore hooks (hooks) note what a call started; when the
outermost operation ends the delivery loop (pump) delivers it and polls queues and streams
until nothing moves. ``with cloud.deferred():`` holds delivery until the block ends.
This module only assembles those parts (all under edgeguard_tools.local); none imports it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
from moto import mock_aws

from edgeguard import clock
from edgeguard_tools.local import deleters, hooks, moto_ext, provisioning
from edgeguard_tools.local.delivery.alarms import AlarmDelivery
from edgeguard_tools.local.delivery.eventbridge import EventRouter, complete_event, transform_input
from edgeguard_tools.local.delivery.kinesis import KinesisPoller
from edgeguard_tools.local.delivery.logs_subscription import (
    LogsSubscriptionDelivery,
    subscription_filters,
)
from edgeguard_tools.local.delivery.rotation import (
    RotationFailed,
    RotationReport,
    SecretRotation,
    configure_rotations,
)
from edgeguard_tools.local.delivery.schedules import Scheduler
from edgeguard_tools.local.delivery.sns import SnsDelivery
from edgeguard_tools.local.delivery.sqs import QueuePoller
from edgeguard_tools.local.delivery.stepfunctions import Executions
from edgeguard_tools.local.delivery.streams import StreamPoller
from edgeguard_tools.local.feed_server import FeedServer, sample_feeds, sample_routes
from edgeguard_tools.local.function_urls import FunctionUrls
from edgeguard_tools.local.lookups import StackLookups
from edgeguard_tools.local.origin import OriginStandIn, origin_acl_from_template
from edgeguard_tools.local.parameters import local_parameters
from edgeguard_tools.local.pump import DeliveryLoop
from edgeguard_tools.local.runtime import (
    DeliveryError,
    FunctionRuntime,
    Invocation,
    Invoker,
    send_to,
)
from edgeguard_tools.local.stack import Stack
from edgeguard_tools.local.telegram_server import TelegramStandIn
from edgeguard_tools.local.template import REGION, Template, default_template_path, load_template
from edgeguard_tools.local.wiring import Wiring, read_wiring

__all__ = ["DeliveryError", "Invocation", "LocalCloud", "RotationFailed", "transform_input"]

TELEGRAM_CHAT_ID = "42"
_CLIENTS: dict[str, Any] = {}
_new_client: Callable[..., Any] = boto3.client  # by a service name (the stubs want literals)


class LocalCloud(StackLookups):
    """The template's resources and wiring on moto; see the module docstring."""

    @staticmethod
    def running() -> LocalCloud | None:
        """The LocalCloud entered in this process (the CLI joins it), or None."""
        cloud = hooks.running()
        return cloud if isinstance(cloud, LocalCloud) else None

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
        self.wiring = Wiring()
        self.telegram = TelegramStandIn(chat_ids=(TELEGRAM_CHAT_ID,))
        self.feeds = FeedServer(sample_routes())  # feed hosts BlocklistFeeds points at
        self.origin: OriginStandIn | None = None
        self.startup_seconds = 0.0
        self._mock: Any = None
        self._stack = Stack(self.client)
        self.stacks = deleters.LocalStacks(on_delete=lambda: setattr(self, "wiring", Wiring()))
        self._runtime = FunctionRuntime(self._stack, quiet=lambda: self.quiet)
        self.invocations: list[Invocation] = self._runtime.invocations
        self.failures: list[Invocation] = self._runtime.failures
        self.function_urls = FunctionUrls(self.invoke, self._runtime.record_failure)
        self._invoker = Invoker(
            call=self._late_call,
            wiring=self._current_wiring,
            send_to=self._send_to,
            record_failure=self._runtime.record_failure,
            raise_errors=lambda: self.raise_errors,
        )
        self._loop = DeliveryLoop(self._deliver_pending, self._poll_sources)
        self._router = EventRouter(
            self._current_wiring,
            invoke_async=self._invoker.invoke_async,
            start_execution=self.start_execution,
            send_to=self._send_to,
            skip=self._stack.skip,
        )
        self._sns = SnsDelivery(
            self._current_wiring, self._stack.owner_of, self._invoker.invoke_async
        )
        self._log_subscriptions = LogsSubscriptionDelivery(
            self.client,
            lambda: subscription_filters(
                self.template.resources(), self._stack.resolve, self._stack.owner_of
            ),
            self._invoker.invoke_async,
        )
        run_batch = self._invoker.run_batch
        self._queues = QueuePoller(self.client, self.resource, self.attribute, run_batch)
        self._streams = StreamPoller(self.client, self.attribute, run_batch)
        self._kinesis = KinesisPoller(self.client, self.attribute, run_batch, self._send_to)
        self._executions = Executions(self.client, self._stack.state_machine_arns)
        self._rotation = SecretRotation(
            self._current_wiring, self.resource, self._late_call, self._runtime.record_failure
        )
        self._alarms = AlarmDelivery(
            self.client,
            resource=self.resource,
            owner_of=self._stack.owner_of,
            kind_of=self.kind_of,
            route=self._router.route,
            invoke_async=self._invoker.invoke_async,
            skip=self._stack.skip,
        )
        self._scheduler = Scheduler(
            wiring=self._current_wiring,
            deliver=self._router.deliver,
            rotate=self.rotate_secret,
            release_retries=self._release_retries,
            pump=self._loop.pump,
        )

    def __enter__(self) -> LocalCloud:
        if hooks.running() is not None:
            raise RuntimeError("a LocalCloud is already running in this process")
        started = time.perf_counter()
        self._mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
        self._mock.start()
        moto_ext.install()
        self.telegram.start()
        hooks.activate(
            hooks.Listener(
                owner=self,
                started=self._loop.queue,
                settle=self._loop.pump_if_top_level,
                lambda_invoke=self._lambda_invoke,
                cloudformation=self.stacks.answer,
            )
        )
        try:
            # The origin stand-in runs before the template loads so that its URL can be the
            # rotation test's origin (parameter OriginTestUrl); it reads the web ACL lazily.
            self.origin = OriginStandIn(self._read_origin_acl).start()
            local = {
                "TelegramChatId": TELEGRAM_CHAT_ID,
                "TelegramApiBase": self.telegram.base_url,
                "OriginTestUrl": self.origin.url,
                "OriginWafPropagationSeconds": "0",  # moto applies a web ACL update at once
                "BlocklistFeeds": sample_feeds(self.feeds.start()),
            }
            path = self._template_path or default_template_path()
            declared = (load_template(path).get("Parameters") or {}).keys()
            parameters = local_parameters(declared, local, self._overrides)
            self._stack.template = Template.load(self._template_path, parameters)
            provisioning.provision(self._stack, self.client)
            self.wiring = read_wiring(self._stack)
            provisioning.subscribe_queues(self._stack, self.client, self.wiring)
            self._stack.skipped.update(self.wiring.unsupported)
            configure_rotations(
                self.wiring.rotations, self.resource, lambda fn: self.attribute(fn, "Arn")
            )
            self.function_urls.serve(self._stack)
            provisioning.set_up_telegram(self._stack, self.client, self.telegram)
            self.stacks.record_stack(self._stack, self.client)
            self._start_origin()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        self._scheduler.start(clock.utcnow())
        self.startup_seconds = time.perf_counter() - started
        return self

    def __exit__(self, *exc: object) -> None:
        if self._mock is not None:
            for arn in self._executions.running():
                self._executions.wait(arn, timeout=5.0)
        if self.origin is not None:
            self.origin.stop()
        self.telegram.stop()
        self.feeds.stop()
        self.function_urls.stop()
        self._scheduler.rewind()
        hooks.deactivate(self)
        if self._mock is not None:
            self._mock.stop()
            self._mock = None

    def client(self, service: str) -> Any:
        """A boto3 client on the local cloud (kept for the process: building one is the
        largest part of starting a cloud); ``RuntimeError`` outside a running cloud."""
        if self._mock is None:
            raise RuntimeError("the local cloud is not running")
        if service not in _CLIENTS:
            _CLIENTS[service] = _new_client(service, region_name=REGION)
        return _CLIENTS[service]

    @property
    def telegram_messages(self) -> list[dict[str, Any]]:
        """Messages the Telegram stand-in accepted (``text`` plain, ``html`` as sent)."""
        return self.telegram.messages

    @property
    def origin_url(self) -> str:
        """The origin stand-in's URL; ``RuntimeError`` when the template has no origin ACL."""
        if self.origin is None:
            raise RuntimeError(f"the template declares no {self.origin_web_acl} web ACL")
        return self.origin.url

    def subscribe_queue(self, topic: str, endpoint: Any, props: dict[str, Any]) -> None:
        """SNS -> SQS subscriptions are moto's own: create one there."""
        provisioning.subscribe_queue(self._stack, self.client, topic, endpoint, props)

    def function_environment(self, logical_id: str) -> dict[str, str]:
        """The function's Environment.Variables resolved, plus what Lambda sets itself."""
        return self._runtime.environment(logical_id)

    def queue_depth(self, logical_id: str) -> dict[str, int]:
        """Visible and in-flight message counts of a queue."""
        return self._queues.depth(logical_id)

    def invoke(self, logical_id: str, event: Any, source: str = "invoke") -> Any:
        """Run one function synchronously (RequestResponse) with its template environment."""
        with self._loop.operation():
            return self._call(logical_id, event, source)

    @contextmanager
    def deferred(self) -> Iterator[None]:
        """Deliver what the block starts only when it ends (e.g. several objects as one batch)."""
        with self._loop.operation():
            yield

    def put_event(self, event: dict[str, Any], bus: str = "default") -> list[str]:
        """Route an EventBridge event by the template's rules; returns the targets reached."""
        with self._loop.operation():
            return self._router.route(complete_event(event), bus)

    def put_object(self, bucket_logical_id: str, key: str, body: bytes | str) -> None:
        """Put an object; the bucket's notification reaches its queue and its consumer."""
        with self._loop.operation():
            data = body.encode() if isinstance(body, str) else body
            self.client("s3").put_object(
                Bucket=self.resource(bucket_logical_id), Key=key, Body=data
            )

    def put_log_events(
        self, log_group_logical_id: str, stream: str, messages: list[str], timestamp_ms: int
    ) -> list[str]:
        """Put events in a log group; its subscription filters invoke their functions (the
        functions reached are returned)."""
        with self._loop.operation():
            group = self.resource(log_group_logical_id)
            return self._log_subscriptions.put_log_events(group, stream, messages, timestamp_ms)

    def set_alarm_state(
        self,
        logical_id: str,
        state: str = "ALARM",
        reason: str = "Threshold Crossed (local cloud)",
        reason_data: dict[str, Any] | None = None,
    ) -> list[str]:
        """Move an alarm to ``state``; on a change, the state change event goes to the rules
        and the state's actions run. Returns the logical ids reached (none: no change)."""
        with self._loop.operation():
            return self._alarms.set_state(logical_id, state, reason, reason_data)

    def start_execution(self, logical_id: str, payload: Any, wait: bool = True) -> dict[str, Any]:
        """Start a state machine execution (moto runs it); returns describe_execution."""
        with self._loop.operation():
            return self._executions.start(self.resource(logical_id), payload, wait)

    def tick(self, minutes: int = 1) -> list[str]:
        """Advance the clock minute by minute; fire schedules and due retries."""
        with self._loop.operation():
            return self._scheduler.tick(minutes)

    def catch_up(self) -> list[str]:
        """``tick`` for a cloud kept running: what came due on the clock fires, all is delivered."""
        with self._loop.operation():
            return self._scheduler.catch_up(clock.utcnow())

    def rotate_secret(self, logical_id: str, retries: int = 1) -> RotationReport:
        """Drive the rotation function through its four steps as Secrets Manager does."""
        with self._loop.operation():
            return self._rotation.rotate(logical_id, retries)

    def _call(self, logical_id: str, event: Any, source: str) -> Any:
        """One synchronous call of a function (every delivery goes through here)."""
        return self._runtime.call(logical_id, event, source)

    def _late_call(self, logical_id: str, event: Any, source: str) -> Any:
        # what the deliveries call: looks ``_call`` up each time, so wrapping it reaches them
        return self._call(logical_id, event, source)

    def _current_wiring(self) -> Wiring:
        return self.wiring

    def _send_to(self, logical_id: str, payload: Any) -> None:
        send_to(self._stack, self.client, logical_id, payload)

    def _deliver_pending(self, kind: str, payload: Any) -> None:
        if kind == "sns":
            self._sns.deliver(payload)
        elif kind == "event":
            event, bus = payload
            self._router.route(event, bus)
        elif kind == "execution":
            self._executions.wait(payload)

    def _poll_sources(self) -> bool:
        queues = self._queues.poll_all(self.wiring.queue_sources)
        kinesis = self._kinesis.poll_all(self.wiring.kinesis_sources)
        return self._streams.poll_all(self.wiring.stream_sources) or queues or kinesis

    def _release_retries(self) -> None:
        self._queues.release_due()
        self._streams.unblock()
        self._kinesis.unblock()

    def _lambda_invoke(self, params: dict[str, Any]) -> Any:
        return hooks.lambda_response(params, self._stack.function_named, self._call)

    def _start_origin(self) -> None:
        physical = self.physical.get(self.origin_web_acl)
        if not (physical and physical.created) and self.origin is not None:
            self.origin.stop()
            self.origin = None

    def _read_origin_acl(self) -> dict[str, Any]:
        reader = origin_acl_from_template(self.client("wafv2"), self.resource(self.origin_web_acl))
        return reader()
