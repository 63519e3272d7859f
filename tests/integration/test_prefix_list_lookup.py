"""Custom::ManagedPrefixList answers CloudFormation on its response URL (a 127.0.0.1 server)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest
from moto import mock_aws

from edgeguard_tools.events import load_event
from edgeguard_tools.local.handlers import LocalContext, load_handler


class _Recorder(BaseHTTPRequestHandler):
    def do_PUT(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self.server.bodies.append(json.loads(self.rfile.read(length)))  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def cloudformation() -> Iterator[tuple[str, list[dict]]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.bodies = []  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield (
            f"http://127.0.0.1:{server.server_address[1]}/response?X-Amz-Signature=x",
            server.bodies,
        )  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()


def _request(url: str, kind: str, name: str | None = None, physical: str | None = None) -> dict:
    event = {
        "RequestType": kind,
        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:lookup",
        "ResponseURL": url,
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/edgeguard/1",
        "RequestId": "req-1",
        "LogicalResourceId": "CloudFrontOriginPrefixList",
        "ResourceType": "Custom::ManagedPrefixList",
        "ResourceProperties": {"ServiceToken": "x"},
    }
    if name:
        event["ResourceProperties"]["PrefixListName"] = name
    if physical:
        event["PhysicalResourceId"] = physical
    return event


@mock_aws
def test_create_answers_the_cloudfront_origin_facing_list_id(cloudformation):
    url, bodies = cloudformation
    expected = boto3.client("ec2", region_name="us-east-1").describe_managed_prefix_lists(
        Filters=[
            {
                "Name": "prefix-list-name",
                "Values": ["com.amazonaws.global.cloudfront.origin-facing"],
            }
        ]
    )["PrefixLists"][0]["PrefixListId"]
    handler = load_handler("functions/prefix_list_lookup")
    result = handler(
        _request(url, "Create", "com.amazonaws.global.cloudfront.origin-facing"), LocalContext()
    )
    assert result == {"status": "SUCCESS"}
    (body,) = bodies
    assert body["Status"] == "SUCCESS" and body["PhysicalResourceId"] == expected
    assert body["Data"]["PrefixListId"] == expected and expected.startswith("pl-")
    assert (body["RequestId"], body["LogicalResourceId"]) == ("req-1", "CloudFrontOriginPrefixList")


@mock_aws
def test_unknown_list_fails_the_stack_with_a_reason_instead_of_hanging(cloudformation):
    url, bodies = cloudformation
    handler = load_handler("functions/prefix_list_lookup")
    assert handler(_request(url, "Create", "com.example.nothing"), LocalContext()) == {
        "status": "FAILED"
    }
    assert bodies[0]["Status"] == "FAILED" and "com.example.nothing" in bodies[0]["Reason"]


@mock_aws
def test_delete_succeeds_and_keeps_the_physical_id(cloudformation):
    url, bodies = cloudformation
    handler = load_handler("functions/prefix_list_lookup")
    handler(_request(url, "Delete", physical="pl-0123456789abcdef0"), LocalContext())
    assert (
        bodies[0]["Status"] == "SUCCESS"
        and bodies[0]["PhysicalResourceId"] == "pl-0123456789abcdef0"
    )


@mock_aws
def test_the_sample_event_in_cloudformations_format_is_answered(cloudformation):
    url, bodies = cloudformation
    event = {**load_event("cloudformation_custom_resource_create"), "ResponseURL": url}
    load_handler("functions/prefix_list_lookup")(event, LocalContext())
    assert bodies[0]["Status"] == "SUCCESS"
    assert bodies[0]["StackId"] == event["StackId"]
