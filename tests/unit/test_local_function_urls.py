"""The local cloud's function URLs: requests become payload-format-2.0 events, results
become HTTP answers the way Lambda makes them, a function error is a 502 (a real server
on 127.0.0.1)."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from edgeguard_tools.local.function_urls import FunctionUrls, http_answer, url_event


def test_a_request_becomes_a_payload_format_2_event():
    event = url_event(
        "HookUrl",
        "POST",
        "/HookUrl/updates?x=1&y=2",
        {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": "s"},
        b'{"update_id": 1}',
    )
    assert (event["version"], event["routeKey"], event["rawPath"]) == (
        "2.0",
        "$default",
        "/updates",
    )
    assert event["rawQueryString"] == "x=1&y=2"
    assert event["queryStringParameters"] == {"x": "1", "y": "2"}
    assert event["headers"]["x-telegram-bot-api-secret-token"] == "s"
    assert event["requestContext"]["http"]["method"] == "POST"
    assert (event["body"], event["isBase64Encoded"]) == ('{"update_id": 1}', False)
    binary = url_event("HookUrl", "PUT", "/HookUrl/", {"Content-Type": "image/png"}, b"\x89PNG")
    assert binary["isBase64Encoded"] is True
    assert base64.b64decode(binary["body"]) == b"\x89PNG"


def test_results_become_answers_as_lambda_makes_them():
    assert http_answer({"statusCode": 401, "body": "no"}) == (401, {}, b"no")
    encoded = {
        "statusCode": 200,
        "body": base64.b64encode(b"\x00").decode(),
        "isBase64Encoded": True,
    }
    assert http_answer(encoded)[2] == b"\x00"
    assert http_answer({"ok": True}) == (200, {"content-type": "application/json"}, b'{"ok": true}')


def _post(url: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=b"{}", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.fixture
def urls():
    calls: list[tuple[str, Any, str]] = []
    failures: list[tuple[str, str, BaseException]] = []

    def invoke(function: str, event: dict[str, Any], source: str) -> Any:
        calls.append((function, event, source))
        if function == "Broken":
            raise RuntimeError("boom")
        return {"statusCode": 202, "body": json.dumps({"path": event["rawPath"]})}

    server = FunctionUrls(
        invoke, lambda fn, source, event, error: failures.append((fn, source, error))
    )
    server.start()
    server.routes = {"GoodUrl": "Good", "BrokenUrl": "Broken"}
    yield server, calls, failures
    server.stop()


def test_the_server_invokes_the_routed_function(urls):
    server, calls, failures = urls
    assert _post(server.url_for("GoodUrl") + "a/b") == (202, b'{"path": "/a/b"}')
    assert [(c[0], c[2]) for c in calls] == [("Good", "function-url")]
    assert _post(server.base_url + "/NoSuchUrl/")[0] == 404
    status, _ = _post(server.url_for("BrokenUrl"))
    assert status == 502
    assert [(f[0], f[1], str(f[2])) for f in failures] == [("Broken", "function-url", "boom")]
