"""Calls through the AWS endpoint that start work in the deployed wiring.

In process, botocore hooks tell the local cloud that a call started a delivery (the
``hooks`` module). Calls that reach moto over HTTP (the AWS CLI, an SDK given
``--endpoint-url``) pass no such hook, so ``DeliveryRelay`` sits in front of moto's WSGI
app and, after a successful EventBridge ``PutEvents`` or SNS ``Publish``, hands the call's
parameters (in botocore's shape) and answer to ``started(service, operation, params,
parsed)``. Writes that feed a stream or a queue (PutItem, PutObject, SendMessage) need no
relay: the background loop polls those sources.

Request formats: EventBridge speaks JSON 1.1 (``X-Amz-Target: AWSEvents.PutEvents``); SNS
speaks the AWS query protocol (form fields ``Action=Publish``, ``MessageAttributes.entry.N.
Name`` / ``.Value.DataType`` / ``.Value.StringValue``) and answers XML with ``MessageId``.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

Started = Callable[[str, str, dict[str, Any], dict[str, Any]], None]
_MESSAGE_ID = re.compile(rb"<MessageId>([^<]+)</MessageId>")
_ATTRIBUTE = re.compile(
    r"MessageAttributes\.entry\.(\d+)\.(Name|Value\.DataType|Value\.StringValue)"
)


def sns_publish_params(form: dict[str, str]) -> dict[str, Any]:
    """Publish's parameters as botocore gives them, from the query-protocol form."""
    params: dict[str, Any] = {
        key: form[key]
        for key in ("TopicArn", "TargetArn", "Message", "Subject", "MessageStructure")
        if key in form
    }
    entries: dict[str, dict[str, str]] = {}
    for key, value in form.items():
        match = _ATTRIBUTE.fullmatch(key)
        if match:
            entries.setdefault(match.group(1), {})[match.group(2)] = value
    attributes = {}
    for entry in entries.values():
        if "Name" in entry:
            attributes[entry["Name"]] = {
                "DataType": entry.get("Value.DataType", "String"),
                "StringValue": entry.get("Value.StringValue", ""),
            }
    if attributes:
        params["MessageAttributes"] = attributes
    return params


def _call(environ: dict[str, Any], body: bytes) -> tuple[str, str, dict[str, Any]] | None:
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target == "AWSEvents.PutEvents":
        return "eventbridge", "PutEvents", dict(json.loads(body or b"{}"))
    if "application/x-www-form-urlencoded" in environ.get("CONTENT_TYPE", ""):
        form = {k: v[0] for k, v in parse_qs(body.decode(errors="replace")).items()}
        if form.get("Action") == "Publish":
            return "sns", "Publish", sns_publish_params(form)
    return None


class DeliveryRelay:
    """WSGI middleware: moto answers; a successful watched call is reported to ``started``."""

    def __init__(self, app: Any, started: Started) -> None:
        self._app = app
        self._started = started

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        try:
            call = _call(environ, body)
        except (ValueError, UnicodeDecodeError):
            call = None  # moto answers the malformed request itself
        if call is None:
            return self._app(environ, start_response)
        status: list[str] = []

        def capture(code: str, headers: Any, *rest: Any) -> Any:
            status.append(code)
            return start_response(code, headers, *rest)

        answer = b"".join(self._app(environ, capture))
        if status and status[0].startswith("200"):
            service, operation, params = call
            parsed: dict[str, Any] = {}
            if service == "sns":
                found = _MESSAGE_ID.search(answer)
                parsed = {"MessageId": found.group(1).decode()} if found else {}
            self._started(service, operation, params, parsed)
        return [answer]
