"""Function runtime: the template's functions run in process, the way Lambda runs them.

- ``FunctionRuntime.call(logical_id, event, source)``: one synchronous invocation of a
  function's handler (its ``app.py``, loaded once) with the function's resolved template
  environment and a Lambda context; every call is recorded in ``invocations``. Calls are
  serial: ``os.environ`` is process-wide.
- ``Invoker``: what Lambda adds around a call for an event source: asynchronous
  invocation (retries, then the dead-letter queue / on-failure destination) and batches
  (``ReportBatchItemFailures``). Failures are recorded in ``failures`` and, unless the
  owner says otherwise, raised as ``DeliveryError``.

What a function writes to stdout (its prints, Powertools' JSON logs and metrics) is its
log, never a command's output: it goes to ``FUNCTION_STDOUT``, which passes it to the
process's stderr, or, while the runtime is quiet, to ``FUNCTION_STDOUT.sink`` (nowhere
unless set).
"""

from __future__ import annotations

import copy
import json
import logging
import sys
import threading
import traceback
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass
from typing import Any

from edgeguard_tools.local.handlers import LocalContext, environment, load_handler
from edgeguard_tools.local.resources import ClientFactory
from edgeguard_tools.local.stack import Stack
from edgeguard_tools.local.template import REGION
from edgeguard_tools.local.wiring import FUNCTION_TYPES, Wiring

LOG = logging.getLogger("edgeguard_tools.local")

# Powertools warns when a handler decorated with log_metrics counted nothing (an S3 test
# event, an enforcer run with nothing to change). In Lambda that line lands in the
# function's log; here it would end every command on the terminal as a UserWarning.
warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)

Call = Callable[[str, Any, str], Any]
"""``call(logical_id, event, source) -> result``: run one function synchronously."""

RunBatch = Callable[[str, dict[str, Any], bool, str], set[str]]
"""``run_batch(function, {"Records": [...]}, report_failures, source) -> failed ids``."""


class DeliveryError(RuntimeError):
    """A function failed while the local cloud delivered to it (after its retries)."""


@dataclass
class Invocation:
    """One function call the local cloud made: what went in, what came out."""

    logical_id: str
    source: str
    event: Any
    result: Any = None
    error: BaseException | None = None


def env_text(value: Any) -> str:
    """An environment variable's text for a resolved template value (lists comma-joined)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(map(str, value))
    return "" if value is None else str(value)


class FunctionStdout:
    """Where functions' stdout goes: the process's stderr as it is at each write (so
    redirections and test captures see it), or ``sink`` while quiet (None: dropped).

    One object for the process: Powertools' logger keeps the stream it was created with.
    A plain file-like object, not an ``io`` class: those flush when collected at exit.
    """

    encoding = "utf-8"

    def __init__(self) -> None:
        self.quiet = False
        self.sink: Any = None

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        target = self.sink if self.quiet else sys.stderr
        if target is not None:
            target.write(text)
        return len(text)

    def flush(self) -> None:
        target = self.sink if self.quiet else sys.stderr
        if target is not None:
            target.flush()


FUNCTION_STDOUT = FunctionStdout()


class FunctionRuntime:
    """Runs the stack's functions in process; records every invocation and failure.

    ``quiet()`` says whether the functions' stdout is kept from the terminal (see
    ``FUNCTION_STDOUT``).
    """

    def __init__(self, stack: Stack, quiet: Callable[[], bool]) -> None:
        self._stack = stack
        self._quiet = quiet
        self.invocations: list[Invocation] = []
        self.failures: list[Invocation] = []
        self._handlers: dict[str, Any] = {}
        self._call_lock = threading.RLock()

    def environment(self, logical_id: str) -> dict[str, str]:
        """The function's Environment.Variables resolved, plus what Lambda sets itself."""
        resource = self._stack.template.resources()[logical_id]
        props = resource.get("Properties") or {}
        variables = self._stack.resolve((props.get("Environment") or {}).get("Variables") or {})
        name = self._stack.resource(logical_id)
        env = {key: env_text(value) for key, value in variables.items()}
        env.setdefault("POWERTOOLS_TRACE_DISABLED", "1")
        env |= {
            "AWS_LAMBDA_FUNCTION_NAME": name,
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
        }
        return env

    def call(self, logical_id: str, event: Any, source: str) -> Any:
        """Run the handler once; returns its result, raises what it raised.

        ``KeyError`` when ``logical_id`` is not a function of the template, ``ValueError``
        when its CodeUri is not a local path.
        """
        template = self._stack.template
        resource = template.resources().get(logical_id)
        if resource is None or resource["Type"] not in FUNCTION_TYPES:
            raise KeyError(f"{logical_id} is not a function of {template.path.name}")
        props = resource.get("Properties") or {}
        code_uri = props.get("CodeUri")
        if not isinstance(code_uri, str):
            raise ValueError(f"{logical_id}: CodeUri must be a local path to run in process")
        code_dir = (template.root / code_uri).resolve()
        env = self.environment(logical_id)
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

    def record_failure(
        self, logical_id: str, source: str, event: Any, error: BaseException
    ) -> None:
        """Keep a failed delivery in ``failures`` and log it."""
        self.failures.append(Invocation(logical_id, source, event, error=error))
        LOG.warning(
            "%s failed on %s: %s",
            logical_id,
            source,
            "".join(traceback.format_exception_only(error)).strip(),
        )

    @contextmanager
    def _function_output(self) -> Iterator[None]:
        saved = FUNCTION_STDOUT.quiet
        FUNCTION_STDOUT.quiet = self._quiet()
        try:
            with redirect_stdout(FUNCTION_STDOUT):
                yield
        finally:
            FUNCTION_STDOUT.quiet = saved


class Invoker:
    """Lambda's invocation semantics for event sources, around a synchronous ``call``.

    ``call`` runs a function; ``wiring().async_config`` holds the functions'
    EventInvokeConfig / DeadLetterQueue; ``send_to(logical_id, payload)`` delivers to a queue or
    topic; ``record_failure`` keeps a failure; ``raise_errors()`` says whether a failed
    delivery raises ``DeliveryError`` (tests) or is only recorded (the demo's bad cases).
    """

    def __init__(
        self,
        call: Call,
        wiring: Callable[[], Wiring],
        send_to: Callable[[str, Any], None],
        record_failure: Callable[[str, str, Any, BaseException], None],
        raise_errors: Callable[[], bool],
    ) -> None:
        self._call = call
        self._wiring = wiring
        self._send_to = send_to
        self._record_failure = record_failure
        self._raise_errors = raise_errors

    def invoke_async(self, logical_id: str, event: Any, source: str) -> bool:
        """Lambda's asynchronous invocation: retries, then the DLQ / on-failure destination.

        Returns True when an attempt succeeded, False when all failed (and errors are
        not raised); raises ``DeliveryError`` otherwise.
        """
        config = self._wiring().async_config.get(logical_id)
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
        if self._raise_errors():
            raise DeliveryError(
                f"{logical_id} failed on {source} after {attempts} attempt(s): {error!r}"
            ) from error
        return False

    def run_batch(
        self, function: str, event: dict[str, Any], report: bool, source: str
    ) -> set[str]:
        """Run a batch (``{"Records": [...]}``); return the ids of the records that failed.

        All of them when the function raised (or, with errors raised, ``DeliveryError``)
        or answered a malformed ``batchItemFailures``; with ``report`` off, none or all.
        """
        ids = [record_id(record) for record in event["Records"]]
        try:
            result = self._call(function, event, source)
        except Exception as error:
            self._record_failure(function, source, event, error)
            if self._raise_errors():
                raise DeliveryError(f"{function} failed on {source}: {error!r}") from error
            return set(ids)
        if not report or not isinstance(result, dict) or not result.get("batchItemFailures"):
            return set()
        failed = {str(item.get("itemIdentifier") or "") for item in result["batchItemFailures"]}
        if "" in failed or not failed <= set(ids):
            return set(ids)  # Lambda treats a malformed response as a failed batch
        return failed


def send_to(stack: Stack, client: ClientFactory, logical_id: str, payload: Any) -> None:
    """Deliver ``payload`` (JSON unless already text) to a queue or a topic of the stack.

    ``ValueError`` for any other kind of resource.
    """
    kind = stack.kind_of(logical_id)
    body = payload if isinstance(payload, str) else json.dumps(payload, default=str)
    if kind == "queue":
        client("sqs").send_message(QueueUrl=stack.resource(logical_id), MessageBody=body)
    elif kind == "topic":
        client("sns").publish(TopicArn=stack.resource(logical_id), Message=body)
    else:
        raise ValueError(f"cannot send to {logical_id} ({kind})")


def record_id(record: dict[str, Any]) -> str:
    """The itemIdentifier Lambda expects: messageId (SQS) or SequenceNumber (streams)."""
    if "messageId" in record:
        return str(record["messageId"])
    if "kinesis" in record:
        return str(record["kinesis"]["sequenceNumber"])
    return str(record["dynamodb"]["SequenceNumber"])
