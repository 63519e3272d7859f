"""CloudFront gap fills: IfMatch/ETag optimistic locking and deployment status, via boto3."""

from __future__ import annotations

import copy

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from edgeguard_tools.local import moto_ext

CONFIG = {
    "CallerReference": "edgeguard-test",
    "Comment": "edge",
    "Enabled": True,
    "Origins": {
        "Quantity": 1,
        "Items": [
            {
                "Id": "alb",
                "DomainName": "alb-123.us-east-1.elb.amazonaws.com",
                "CustomHeaders": {
                    "Quantity": 1,
                    "Items": [{"HeaderName": "X-Origin-Verify", "HeaderValue": "old-secret"}],
                },
                "CustomOriginConfig": {
                    "HTTPPort": 80,
                    "HTTPSPort": 443,
                    "OriginProtocolPolicy": "https-only",
                },
            }
        ],
    },
    "DefaultCacheBehavior": {
        "TargetOriginId": "alb",
        "ViewerProtocolPolicy": "redirect-to-https",
        "CachePolicyId": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
    },
}


@pytest.fixture
def cloudfront():
    moto_ext.install()
    with mock_aws():
        yield boto3.client("cloudfront", region_name="us-east-1")


@pytest.fixture
def distribution_id(cloudfront):
    return cloudfront.create_distribution(DistributionConfig=copy.deepcopy(CONFIG))["Distribution"][
        "Id"
    ]


def _with_header(config: dict, value: str) -> dict:
    config = copy.deepcopy(config)
    config["Origins"]["Items"][0]["CustomHeaders"]["Items"][0]["HeaderValue"] = value
    return config


def _error(excinfo) -> tuple[str, int]:
    response = excinfo.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_update_with_current_etag_changes_config_and_etag(cloudfront, distribution_id):
    current = cloudfront.get_distribution_config(Id=distribution_id)
    updated = cloudfront.update_distribution(
        Id=distribution_id,
        DistributionConfig=_with_header(current["DistributionConfig"], "new-secret"),
        IfMatch=current["ETag"],
    )
    assert updated["ETag"] != current["ETag"]
    after = cloudfront.get_distribution_config(Id=distribution_id)
    assert after["ETag"] == updated["ETag"]
    assert cloudfront.get_distribution(Id=distribution_id)["ETag"] == updated["ETag"]
    header = after["DistributionConfig"]["Origins"]["Items"][0]["CustomHeaders"]["Items"][0]
    assert header == {"HeaderName": "X-Origin-Verify", "HeaderValue": "new-secret"}


def test_stale_etag_is_precondition_failed(cloudfront, distribution_id):
    stale = cloudfront.get_distribution_config(Id=distribution_id)
    cloudfront.update_distribution(
        Id=distribution_id,
        DistributionConfig=_with_header(stale["DistributionConfig"], "first-writer"),
        IfMatch=stale["ETag"],
    )
    with pytest.raises(ClientError) as excinfo:
        cloudfront.update_distribution(
            Id=distribution_id,
            DistributionConfig=_with_header(stale["DistributionConfig"], "second-writer"),
            IfMatch=stale["ETag"],
        )
    assert _error(excinfo) == ("PreconditionFailed", 412)
    config = cloudfront.get_distribution_config(Id=distribution_id)["DistributionConfig"]
    assert config["Origins"]["Items"][0]["CustomHeaders"]["Items"][0]["HeaderValue"] == (
        "first-writer"
    )


def test_missing_if_match_is_invalid_if_match_version(cloudfront, distribution_id):
    config = cloudfront.get_distribution_config(Id=distribution_id)["DistributionConfig"]
    with pytest.raises(ClientError) as excinfo:
        cloudfront.update_distribution(Id=distribution_id, DistributionConfig=config)
    assert _error(excinfo) == ("InvalidIfMatchVersion", 400)


def test_unknown_distribution_is_no_such_distribution(cloudfront, distribution_id):
    current = cloudfront.get_distribution_config(Id=distribution_id)
    with pytest.raises(ClientError) as excinfo:
        cloudfront.update_distribution(
            Id="E000000000000",
            DistributionConfig=current["DistributionConfig"],
            IfMatch=current["ETag"],
        )
    assert _error(excinfo)[0] == "NoSuchDistribution"


def test_update_starts_a_deployment_that_settles_after_a_read(cloudfront, distribution_id):
    current = cloudfront.get_distribution_config(Id=distribution_id)
    updated = cloudfront.update_distribution(
        Id=distribution_id,
        DistributionConfig=current["DistributionConfig"],
        IfMatch=current["ETag"],
    )
    assert updated["Distribution"]["Status"] == "InProgress"
    assert cloudfront.get_distribution(Id=distribution_id)["Distribution"]["Status"] == "Deployed"


def test_held_deployment_stays_in_progress_until_settled(cloudfront, distribution_id):
    with moto_ext.distribution_settle_reads(None):
        current = cloudfront.get_distribution_config(Id=distribution_id)
        cloudfront.update_distribution(
            Id=distribution_id,
            DistributionConfig=current["DistributionConfig"],
            IfMatch=current["ETag"],
        )
        statuses = [
            cloudfront.get_distribution(Id=distribution_id)["Distribution"]["Status"]
            for _ in range(5)
        ]
        assert statuses == ["InProgress"] * 5
        moto_ext.settle_distribution(distribution_id)
        assert (
            cloudfront.get_distribution(Id=distribution_id)["Distribution"]["Status"] == "Deployed"
        )


def test_settle_after_n_reads(cloudfront, distribution_id):
    with moto_ext.distribution_settle_reads(3):
        current = cloudfront.get_distribution_config(Id=distribution_id)
        cloudfront.update_distribution(
            Id=distribution_id,
            DistributionConfig=current["DistributionConfig"],
            IfMatch=current["ETag"],
        )
        statuses = [
            cloudfront.get_distribution(Id=distribution_id)["Distribution"]["Status"]
            for _ in range(3)
        ]
    assert statuses == ["InProgress", "InProgress", "Deployed"]


def test_settle_reads_setting_is_restored_after_the_block(cloudfront, distribution_id):
    with moto_ext.distribution_settle_reads(None):
        pass
    current = cloudfront.get_distribution_config(Id=distribution_id)
    cloudfront.update_distribution(
        Id=distribution_id,
        DistributionConfig=current["DistributionConfig"],
        IfMatch=current["ETag"],
    )
    assert cloudfront.get_distribution(Id=distribution_id)["Distribution"]["Status"] == "Deployed"


def test_settle_unknown_distribution_raises(cloudfront):
    with pytest.raises(KeyError):
        moto_ext.settle_distribution("E000000000000")


def test_last_modified_time_moves_on_update(cloudfront, distribution_id):
    created = cloudfront.get_distribution(Id=distribution_id)
    assert created["Distribution"]["LastModifiedTime"].year >= 2026
    updated = cloudfront.update_distribution(
        Id=distribution_id,
        DistributionConfig=cloudfront.get_distribution_config(Id=distribution_id)[
            "DistributionConfig"
        ],
        IfMatch=created["ETag"],
    )
    assert (
        updated["Distribution"]["LastModifiedTime"] >= created["Distribution"]["LastModifiedTime"]
    )


def test_delete_needs_current_etag_and_disabled_distribution(cloudfront, distribution_id):
    first = cloudfront.get_distribution_config(Id=distribution_id)
    with pytest.raises(ClientError) as excinfo:
        cloudfront.delete_distribution(Id=distribution_id, IfMatch=first["ETag"])
    assert _error(excinfo)[0] == "DistributionNotDisabled"
    disabled = copy.deepcopy(first["DistributionConfig"])
    disabled["Enabled"] = False
    etag = cloudfront.update_distribution(
        Id=distribution_id, DistributionConfig=disabled, IfMatch=first["ETag"]
    )["ETag"]
    with pytest.raises(ClientError) as excinfo:
        cloudfront.delete_distribution(Id=distribution_id, IfMatch=first["ETag"])
    assert _error(excinfo) == ("PreconditionFailed", 412)
    cloudfront.delete_distribution(Id=distribution_id, IfMatch=etag)
    with pytest.raises(ClientError) as excinfo:
        cloudfront.get_distribution(Id=distribution_id)
    assert _error(excinfo)[0] == "NoSuchDistribution"


def test_caller_reference_cannot_change(cloudfront, distribution_id):
    current = cloudfront.get_distribution_config(Id=distribution_id)
    config = copy.deepcopy(current["DistributionConfig"])
    config["CallerReference"] = "something-else"
    with pytest.raises(ClientError) as excinfo:
        cloudfront.update_distribution(
            Id=distribution_id, DistributionConfig=config, IfMatch=current["ETag"]
        )
    assert _error(excinfo)[0] == "IllegalUpdate"
    assert cloudfront.get_distribution_config(Id=distribution_id)["ETag"] == current["ETag"]


def test_function_associations_survive_a_config_round_trip(cloudfront):
    config = copy.deepcopy(CONFIG)
    config["CallerReference"] = "with-function"
    association = {
        "FunctionARN": "arn:aws:cloudfront::123456789012:function/security-headers",
        "EventType": "viewer-response",
    }
    config["DefaultCacheBehavior"]["FunctionAssociations"] = {"Quantity": 1, "Items": [association]}
    distribution_id = cloudfront.create_distribution(DistributionConfig=config)["Distribution"][
        "Id"
    ]
    current = cloudfront.get_distribution_config(Id=distribution_id)
    cloudfront.update_distribution(
        Id=distribution_id,
        DistributionConfig=_with_header(current["DistributionConfig"], "rotated"),
        IfMatch=current["ETag"],
    )
    behaviour = cloudfront.get_distribution_config(Id=distribution_id)["DistributionConfig"][
        "DefaultCacheBehavior"
    ]
    assert behaviour["FunctionAssociations"] == {"Quantity": 1, "Items": [association]}
    assert behaviour["LambdaFunctionAssociations"] == {"Quantity": 0}
