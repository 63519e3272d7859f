"""The botocore hooks: how boto3 calls made by any code reach the running local cloud.

Registered once per process in botocore's ``BUILTIN_HANDLERS``, so they sit on every
session created from then on (moto registers its stubber the same way); they do nothing
unless a local cloud is active (``activate``):

- before-parameter-build keeps the parameters of the calls that start deliveries (SNS
  Publish/PublishBatch, EventBridge PutEvents, Step Functions StartExecution);
- after-call turns such a call into pending work (``started_by``) and lets the cloud
  deliver; any other write (PutItem, PutObject, SendMessage, ...) may feed a stream or a
  queue, so it lets the cloud deliver too;
- before-call.lambda.Invoke answers ``lambda.Invoke`` in process (``lambda_response``):
  how Step Functions Lambda tasks and code calling Lambda reach the functions;
- before-call.cloudformation answers CloudFormation calls from the local cloud's own
  stack (``edgeguard_tools.local.cloudformation``).
"""

from __future__ import annotations

import copy
import io
import json
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.handlers import BUILTIN_HANDLERS
from botocore.response import StreamingBody

from edgeguard_tools.local.delivery.eventbridge import bus_name, event_from_entry
from edgeguard_tools.local.delivery.sns import publication_message
from edgeguard_tools.local.template import REGION

_WATCHED = {
    ("sns", "Publish"),
    ("sns", "PublishBatch"),
    ("eventbridge", "PutEvents"),
    ("sfn", "StartExecution"),
}
_READ_ONLY = ("Get", "List", "Describe", "Head", "Scan", "Query", "BatchGet", "Receive", "Select")


@dataclass
class Listener:
    """What the hooks tell the active local cloud.

    ``owner``: the cloud object itself (what ``running()`` gives); ``started(kind,
    payload)``: a call started work (``sns``: a message, ``event``: ``(event, bus)``,
    ``execution``: an execution ARN); ``settle()``: a write finished, deliver if it was made
    outside any cloud operation; ``lambda_invoke(params)``: answer a ``lambda.Invoke``
    request (``(http response, parsed)``) or None to let it through.
    """

    owner: Any
    started: Callable[[str, Any], None]
    settle: Callable[[], None]
    lambda_invoke: Callable[[dict[str, Any]], Any]
    cloudformation: Callable[[str, dict[str, Any]], Any] | None = None


@dataclass
class _Registry:
    """The running cloud the botocore hooks deliver for (one per process)."""

    listener: Listener | None = None


_ACTIVE = _Registry()


def activate(listener: Listener) -> None:
    """Make ``listener`` the process's local cloud; ``RuntimeError`` when one already is."""
    if _ACTIVE.listener is not None:
        raise RuntimeError("a LocalCloud is already running in this process")
    _ACTIVE.listener = listener


def deactivate(owner: Any) -> None:
    """Stop delivering for ``owner`` (nothing when another cloud is the active one)."""
    if _ACTIVE.listener is not None and _ACTIVE.listener.owner is owner:
        _ACTIVE.listener = None


def running() -> Any:
    """The active cloud (``Listener.owner``), or None."""
    return _ACTIVE.listener.owner if _ACTIVE.listener is not None else None


def started_elsewhere(
    service: str, operation: str, params: dict[str, Any], parsed: dict[str, Any]
) -> int:
    """Work a call started that did not pass through botocore in this process (the HTTP
    endpoint of ``edgeguard local up``): queued for the active cloud, which delivers it at
    its next operation's end. The number of deliveries queued (0: no cloud is active)."""
    listener = _ACTIVE.listener
    if listener is None:
        return 0
    items = started_by(service, operation, params, parsed)
    for kind, payload in items:
        listener.started(kind, payload)
    return len(items)


def started_by(
    service: str, operation: str, params: dict[str, Any], parsed: dict[str, Any]
) -> list[tuple[str, Any]]:
    """The deliveries a watched call started: ``[(kind, payload), ...]``."""
    out: list[tuple[str, Any]] = []
    if service == "sns" and operation == "Publish" and parsed.get("MessageId"):
        topic = params.get("TopicArn") or params.get("TargetArn")
        if topic:
            out.append(("sns", publication_message(params, topic, parsed["MessageId"])))
    elif service == "sns" and operation == "PublishBatch":
        ok = {item["Id"]: item["MessageId"] for item in parsed.get("Successful", [])}
        for entry in params.get("PublishBatchRequestEntries", []):
            if entry.get("Id") in ok:
                message = publication_message(entry, params["TopicArn"], ok[entry["Id"]])
                out.append(("sns", message))
    elif service == "eventbridge" and operation == "PutEvents":
        for entry in params.get("Entries", []):
            bus = bus_name(entry.get("EventBusName"))
            out.append(("event", (event_from_entry(entry), bus)))
    elif service == "sfn" and operation == "StartExecution" and parsed.get("executionArn"):
        out.append(("execution", parsed["executionArn"]))
    return out


def lambda_response(
    params: dict[str, Any],
    function_named: Callable[[str], str | None],
    call: Callable[[str, Any, str], Any],
) -> tuple[AWSResponse, dict[str, Any]] | None:
    """Answer a ``lambda.Invoke`` request by running the function in process.

    ``function_named(name)`` gives the logical id of the function with that physical
    name (None: not the template's; the request then goes on to moto). An exception
    becomes ``FunctionError: Unhandled`` with AWS's errorMessage/errorType/stackTrace
    payload; an ``Event`` invocation answers 202 with an empty payload.
    """
    path = params.get("url_path", "")
    name = unquote(path.split("/functions/", 1)[-1].split("/", 1)[0])
    name = name.split(":function:", 1)[-1].split(":", 1)[0] if name.startswith("arn:") else name
    logical_id = function_named(name)
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
        result = call(logical_id, event, "lambda:Invoke")
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
        f"https://lambda.{REGION}.amazonaws.com{path}", parsed["StatusCode"], HTTPHeaders(), None
    ), parsed


def _service_id(model: Any) -> str:
    return str(model.service_model.service_id.hyphenize())


def _hook_params(params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
    if _ACTIVE.listener is None:
        return
    service = _service_id(model)
    if (service, model.name) in _WATCHED:
        context["edgeguard_params"] = copy.deepcopy(params)
    elif service == "cloudformation":
        context["edgeguard_cfn_params"] = copy.deepcopy(params)


def api_response(service: str, status: int, parsed: dict[str, Any]) -> tuple[AWSResponse, Any]:
    """What a before-call hook returns to answer a call itself: botocore raises
    ClientError from ``parsed`` (``{"Error": {"Code", "Message"}}``) when status >= 300."""
    parsed.setdefault("ResponseMetadata", {})["HTTPStatusCode"] = status
    parsed["ResponseMetadata"].setdefault("RequestId", str(uuid.uuid4()))
    return AWSResponse(
        f"https://{service}.{REGION}.amazonaws.com/", status, HTTPHeaders(), None
    ), parsed


def _hook_after(
    http_response: Any, parsed: dict[str, Any], model: Any, context: dict[str, Any], **_: Any
) -> None:
    listener = _ACTIVE.listener
    if listener is None:
        return
    if "edgeguard_params" in context:
        params = context.pop("edgeguard_params")
        for kind, payload in started_by(_service_id(model), model.name, params, parsed):
            listener.started(kind, payload)
        listener.settle()
    elif not model.name.startswith(_READ_ONLY):
        # a write (PutItem, PutObject, SendMessage, ...) may feed a stream or a queue
        listener.settle()


def _hook_lambda(params: dict[str, Any], **_: Any) -> Any:
    listener = _ACTIVE.listener
    if listener is None:
        return None
    return listener.lambda_invoke(params)


def _hook_cloudformation(model: Any, context: dict[str, Any], **_: Any) -> Any:
    listener = _ACTIVE.listener
    params = context.pop("edgeguard_cfn_params", None)
    if listener is None or listener.cloudformation is None or params is None:
        return None
    return listener.cloudformation(model.name, params)


if not any(item[1] is _hook_cloudformation for item in BUILTIN_HANDLERS):
    BUILTIN_HANDLERS.append(("before-call.cloudformation", _hook_cloudformation))
if not any(item[1] is _hook_after for item in BUILTIN_HANDLERS):
    BUILTIN_HANDLERS.append(("before-parameter-build", _hook_params))
    BUILTIN_HANDLERS.append(("after-call", _hook_after))
    BUILTIN_HANDLERS.append(("before-call.lambda.Invoke", _hook_lambda))
