"""Lambda function URLs on 127.0.0.1: HTTP requests in, the function's response out.

Each ``AWS::Lambda::Url`` of the template gets ``<base>/<url logical id>/``; a request
there becomes the event a function URL sends (payload format 2.0: ``version``,
``rawPath``, ``rawQueryString``, lower-case ``headers``, ``requestContext.http``,
``body`` with ``isBase64Encoded`` for non-text bodies; "Lambda function URLs: invoking"),
and the result is turned into the HTTP answer as Lambda does: a dict with
``statusCode`` is used as is, anything else is a 200 JSON body; a function error is a
502.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from edgeguard_tools.local.loopback import LoopbackServer, QuietHandler
from edgeguard_tools.local.stack import Stack

TEXT_TYPES = ("text/", "application/json", "application/xml", "application/x-www-form-urlencoded")

Invoke = Callable[[str, dict[str, Any], str], Any]
"""``invoke(function logical id, event, source) -> result``: a synchronous invocation."""
RecordFailure = Callable[[str, str, Any, BaseException], None]
SOURCE = "function-url"


def url_event(
    url_id: str, method: str, target: str, headers: dict[str, str], body: bytes
) -> dict[str, Any]:
    """The function URL event (payload format 2.0) for one request to ``/<url_id>/...``."""
    parts = urlsplit(target)
    path = parts.path[len(url_id) + 1 :] or "/"
    lowered: dict[str, str] = {}
    for name, value in headers.items():
        key = name.lower()
        lowered[key] = f"{lowered[key]},{value}" if key in lowered else value
    text = any(lowered.get("content-type", "").startswith(t) for t in TEXT_TYPES)
    now = time.time()
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": parts.query,
        "headers": lowered,
        "queryStringParameters": dict(parse_qsl(parts.query)) or None,
        "requestContext": {
            "accountId": "anonymous",
            "apiId": url_id.lower(),
            "domainName": f"{url_id.lower()}.lambda-url.us-east-1.on.aws",
            "domainPrefix": url_id.lower(),
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": lowered.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "body": body.decode("utf-8", "replace") if text else base64.b64encode(body).decode(),
        "isBase64Encoded": not text and bool(body),
    }


def http_answer(result: Any) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) Lambda makes of a function URL handler's result."""
    if isinstance(result, dict) and "statusCode" in result:
        raw = result.get("body") or ""
        body = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode()
        headers = {str(k): str(v) for k, v in (result.get("headers") or {}).items()}
        return int(result["statusCode"]), headers, body
    return 200, {"content-type": "application/json"}, json.dumps(result).encode()


class FunctionUrls(LoopbackServer):
    """Serves every function URL of the stack: ``routes`` maps a URL's logical id to its
    function's logical id; ``invoke`` runs the function, ``record_failure`` keeps what
    failed (the request is answered 502)."""

    name = "function URL server"

    def __init__(self, invoke: Invoke, record_failure: RecordFailure) -> None:
        super().__init__()
        self.invoke = invoke
        self.record_failure = record_failure
        self.routes: dict[str, str] = {}

    def serve(self, stack: Stack) -> None:
        """Start serving; every ``AWS::Lambda::Url`` of ``stack`` gets its route and its URL
        as ``FunctionUrl`` (what ``!GetAtt`` and the outputs give)."""
        if self._server is None:
            self.start()
        for url_id in stack.template.resources_of("AWS::Lambda::Url"):
            physical = stack.physical[url_id]
            self.routes[url_id] = stack.logical_for(physical.attributes.get("FunctionArn"))
            physical.attributes["FunctionUrl"] = self.url_for(url_id)

    def url_for(self, url_id: str) -> str:
        """The URL of one ``AWS::Lambda::Url`` (what ``!GetAtt X.FunctionUrl`` gives)."""
        return f"{self.base_url}/{url_id}/"

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        urls = self

        class Handler(QuietHandler):
            def _serve(self) -> None:
                url_id = self.path.lstrip("/").split("/", 1)[0].split("?", 1)[0]
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                function = urls.routes.get(url_id)
                headers: dict[str, str]
                if function is None:
                    status, headers, data = 404, {}, b'{"Message": "Not Found"}'
                else:
                    event = url_event(url_id, self.command, self.path, dict(self.headers), body)
                    try:
                        status, headers, data = http_answer(urls.invoke(function, event, SOURCE))
                    except Exception as error:  # Lambda answers a function error with 502
                        urls.record_failure(function, SOURCE, event, error)
                        status, headers, data = 502, {}, b'{"Message": "Internal Server Error"}'
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

        return Handler
