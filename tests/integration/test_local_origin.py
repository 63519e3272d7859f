"""The origin stand-in admits exactly what the REGIONAL web ACL's verify rule allows, read live."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from edgeguard_tools.local.cloud import LocalCloud
from edgeguard_tools.local.origin import OriginStandIn, origin_acl_from_template

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "wiring" / "template.yaml"
VISIBILITY = {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "m"}


def verify_statement(value: str) -> dict:
    return {
        "ByteMatchStatement": {
            "FieldToMatch": {"SingleHeader": {"Name": "x-origin-verify"}},
            "PositionalConstraint": "EXACTLY",
            "SearchString": value,
            "TextTransformations": [{"Priority": 0, "Type": "NONE"}],
        }
    }


def verify_rule(*values: str) -> dict:
    statement = (
        verify_statement(values[0])
        if len(values) == 1
        else {"OrStatement": {"Statements": [verify_statement(v) for v in values]}}
    )
    return {
        "Name": "origin-verify",
        "Priority": 0,
        "Action": {"Allow": {}},
        "Statement": statement,
        "VisibilityConfig": VISIBILITY,
    }


def status(url: str, header: str | None) -> int:
    request = urllib.request.Request(url, headers={"X-Origin-Verify": header} if header else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture
def waf():
    with mock_aws():
        client = boto3.client("wafv2", region_name="us-east-1")
        summary = client.create_web_acl(
            Name="origin",
            Scope="REGIONAL",
            DefaultAction={"Block": {}},
            Rules=[verify_rule("current-secret")],
            VisibilityConfig=VISIBILITY,
        )["Summary"]
        yield client, summary


def update(client, summary, *values):
    lock = client.get_web_acl(Name="origin", Scope="REGIONAL", Id=summary["Id"])["LockToken"]
    client.update_web_acl(
        Name="origin",
        Scope="REGIONAL",
        Id=summary["Id"],
        DefaultAction={"Block": {}},
        Rules=[verify_rule(*values)],
        VisibilityConfig=VISIBILITY,
        LockToken=lock,
    )


def test_only_the_accepted_header_value_is_admitted_through_a_rotation(waf):
    client, summary = waf
    reader = origin_acl_from_template(client, f"origin|{summary['Id']}|REGIONAL")
    with OriginStandIn(reader) as origin:
        assert status(origin.url, "current-secret") == 200
        assert status(origin.url, "wrong") == 403
        assert status(origin.url, None) == 403
        # rotation: the web ACL accepts current + pending for a while, then only pending
        update(client, summary, "current-secret", "pending-secret")
        assert status(origin.url, "current-secret") == 200
        assert status(origin.url, "pending-secret") == 200
        update(client, summary, "pending-secret")
        assert status(origin.url, "current-secret") == 403
        assert status(origin.url, "pending-secret") == 200
        assert (origin.admitted, origin.refused) == (4, 3)


def test_exact_match_is_exact_and_header_names_are_case_insensitive(waf):
    client, summary = waf
    with OriginStandIn(
        origin_acl_from_template(client, f"origin|{summary['Id']}|REGIONAL")
    ) as origin:
        assert origin.decide({"x-ORIGIN-verify": "current-secret"}) == ("ALLOW", "origin-verify")
        assert origin.decide({"X-Origin-Verify": "current-secret-and-more"}) == ("BLOCK", None)
        assert origin.decide({"X-Origin-Verify": "CURRENT-SECRET"}) == ("BLOCK", None)


def test_local_cloud_origin_follows_the_templates_web_acl():
    """The fixture's OriginWebAcl takes its value from the secret (a dynamic reference)."""
    with LocalCloud(template=FIXTURE, quiet=True) as cloud:
        sm = cloud.client("secretsmanager")
        secret = json.loads(
            sm.get_secret_value(SecretId=cloud.resource("OriginSecret"))["SecretString"]
        )
        assert status(cloud.origin_url, secret["value"]) == 200
        assert status(cloud.origin_url, "guess") == 403
        # rotating the secret alone (nothing updates the web ACL in this fixture) locks out
        # the new value: exactly the outage the real rotation must avoid
        cloud.rotate_secret("OriginSecret")
        rotated = json.loads(
            sm.get_secret_value(SecretId=cloud.resource("OriginSecret"))["SecretString"]
        )
        assert status(cloud.origin_url, rotated["value"]) == 403
        assert status(cloud.origin_url, secret["value"]) == 200


def test_cloudfront_sends_the_header_the_web_acl_accepts():
    """The fixture's distribution (CloudFormation shape) exists in moto with the secret header."""
    with LocalCloud(template=FIXTURE, quiet=True) as cloud:
        cloudfront = cloud.client("cloudfront")
        config = cloudfront.get_distribution_config(Id=cloud.resource("Distribution"))
        (origin,) = config["DistributionConfig"]["Origins"]["Items"]
        assert origin["DomainName"] == "notemulated.local.us-east-1.amazonaws.com"
        (header,) = origin["CustomHeaders"]["Items"]
        assert header["HeaderName"] == "X-Origin-Verify"
        assert status(cloud.origin_url, header["HeaderValue"]) == 200
        assert cloud.attribute("Distribution", "DomainName").endswith(".cloudfront.net")
