"""moto_ext: the current Security Hub's OCSF findings - BatchUpdateFindingsV2, GetFindingsV2
and the "Findings Imported V2" event, as the API reference describes them."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from edgeguard_tools.local import moto_ext

CASE = Path(__file__).parents[1] / "fixtures" / "findings" / "securityhub-ocsf-imported-v2.json"


@pytest.fixture
def hub():
    moto_ext.install()
    with mock_aws():
        yield boto3.client("securityhub", region_name="us-east-1")


def _finding():
    return copy.deepcopy(json.loads(CASE.read_text())["detail"]["findings"][0])


def _identifier(finding):
    return {
        "CloudAccountUid": finding["cloud"]["account"]["uid"],
        "FindingInfoUid": finding["finding_info"]["uid"],
        "MetadataProductUid": finding["metadata"]["product"]["uid"],
    }


def test_put_returns_the_v2_event_and_get_findings_v2_lists_it(hub):
    finding = _finding()
    event = moto_ext.put_ocsf_finding(finding)
    assert event["detail-type"] == "Findings Imported V2"
    assert event["source"] == "aws.securityhub"
    assert event["detail"]["findings"] == [finding]
    assert hub.get_findings_v2()["Findings"] == [finding]
    moto_ext.put_ocsf_finding(finding)  # the producer updates it: still one finding
    assert len(hub.get_findings_v2()["Findings"]) == 1


def test_batch_update_by_identifier_sets_status_and_comment_not_the_times(hub):
    finding = _finding()
    moto_ext.put_ocsf_finding(finding)
    response = hub.batch_update_findings_v2(
        FindingIdentifiers=[_identifier(finding)], StatusId=4, Comment="restored"
    )
    assert response["ProcessedFindings"] == [{"FindingIdentifier": _identifier(finding)}]
    assert response["UnprocessedFindings"] == []
    (stored,) = hub.get_findings_v2()["Findings"]
    assert (stored["status_id"], stored["status"], stored["comment"]) == (4, "Resolved", "restored")
    assert stored["finding_info"]["modified_time_dt"] == finding["finding_info"]["modified_time_dt"]
    assert stored["time"] == finding["time"]


def test_batch_update_by_metadata_uid_and_an_unknown_finding(hub):
    finding = _finding()
    moto_ext.put_ocsf_finding(finding)
    response = hub.batch_update_findings_v2(
        MetadataUids=[finding["metadata"]["uid"], "arn:aws:guardduty:nope"], SeverityId=5
    )
    assert response["ProcessedFindings"] == [{"MetadataUid": finding["metadata"]["uid"]}]
    (missing,) = response["UnprocessedFindings"]
    assert missing["MetadataUid"] == "arn:aws:guardduty:nope"
    assert missing["ErrorCode"] == "ResourceNotFoundException"
    assert hub.get_findings_v2()["Findings"][0]["severity"] == "Critical"


@pytest.mark.parametrize(
    "params",
    [
        {"StatusId": 4},  # nothing named
        {"MetadataUids": ["a"]},  # nothing to change
        {"MetadataUids": ["a"], "StatusId": 7},  # not an OCSF status_id
        {"MetadataUids": ["a"], "Comment": "   "},
        {"MetadataUids": ["a"] * 101, "StatusId": 4},
    ],
)
def test_invalid_requests_are_validation_errors(hub, params):
    with pytest.raises(ClientError) as raised:
        hub.batch_update_findings_v2(**params)
    assert raised.value.response["Error"]["Code"] == "ValidationException"


def test_both_ways_of_naming_findings_at_once_are_refused(hub):
    finding = _finding()
    with pytest.raises(ClientError) as raised:
        hub.batch_update_findings_v2(
            MetadataUids=["a"], FindingIdentifiers=[_identifier(finding)], StatusId=4
        )
    assert raised.value.response["Error"]["Code"] == "ValidationException"


def test_filters_are_not_silently_ignored(hub):
    with pytest.raises(Exception, match="not modelled"):
        hub.get_findings_v2(
            Filters={
                "CompositeFilters": [
                    {
                        "StringFilters": [
                            {
                                "FieldName": "status",
                                "Filter": {"Value": "New", "Comparison": "EQUALS"},
                            }
                        ]
                    }
                ]
            }
        )
