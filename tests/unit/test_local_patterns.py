"""EventBridge pattern matching, from the examples in EventBridge's user guide."""

from __future__ import annotations

import pytest

from edgeguard_tools.events import load_event
from edgeguard_tools.local.patterns import PatternError, matches

EC2 = {
    "version": "0",
    "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "111122223333",
    "time": "2017-12-22T18:43:48Z",
    "region": "us-west-1",
    "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
    "detail": {
        "instance-id": "i-1234567890abcdef0",
        "state": "terminated",
        "c-count": 5,
        "d-count": 7,
        "x-limit": 301.8,
        "source-ip": "10.0.0.123",
        "FileName": "image.PNG",
        "FilePath": "/usr/lib/python3",
        "responseElements": None,
        "eventVersion": "",
    },
}


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({"source": ["aws.ec2"]}, True),
        ({"source": ["aws.ec2", "aws.fargate"], "detail": {"state": ["terminated"]}}, True),
        ({"source": ["aws.ec2"], "detail": {"state": ["running"]}}, False),
        # arrays in the event: any element may match
        ({"resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"]}, True),
        ({"resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-other"]}, False),
        # prefix / suffix, plain and ignoring case
        ({"time": [{"prefix": "2017-12-22"}]}, True),
        ({"time": [{"prefix": "2017-10-02"}]}, False),
        ({"detail-type": [{"prefix": {"equals-ignore-case": "ec2 INSTANCE"}}]}, True),
        ({"detail": {"FileName": [{"suffix": ".png"}]}}, False),
        ({"detail": {"FileName": [{"suffix": {"equals-ignore-case": ".png"}}]}}, True),
        ({"detail-type": [{"equals-ignore-case": "ec2 instance state-change notification"}]}, True),
        # anything-but: value, list, number, prefix, suffix, ignore-case, wildcard
        ({"detail": {"state": [{"anything-but": "initializing"}]}}, True),
        ({"detail": {"state": [{"anything-but": ["stopped", "terminated"]}]}}, False),
        ({"detail": {"c-count": [{"anything-but": 5}]}}, False),
        ({"detail": {"c-count": [{"anything-but": [1, 2]}]}}, True),
        ({"detail": {"state": [{"anything-but": {"prefix": "term"}}]}}, False),
        ({"detail": {"state": [{"anything-but": {"prefix": "init"}}]}}, True),
        ({"detail": {"FileName": [{"anything-but": {"suffix": ".txt"}}]}}, True),
        ({"detail": {"state": [{"anything-but": {"equals-ignore-case": ["TERMINATED"]}}]}}, False),
        ({"detail": {"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]}}, False),
        ({"detail": {"missing": [{"anything-but": "x"}]}}, False),
        # numeric ranges
        ({"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}]}}, True),
        ({"detail": {"d-count": [{"numeric": ["<", 7]}]}}, False),
        ({"detail": {"x-limit": [{"numeric": ["=", 3.018e2]}]}}, True),
        ({"detail": {"c-count": [5.0]}}, True),
        ({"detail": {"c-count": ["5"]}}, False),
        # IP address matching
        ({"detail": {"source-ip": [{"cidr": "10.0.0.0/24"}]}}, True),
        ({"detail": {"source-ip": [{"cidr": "10.0.1.0/24"}]}}, False),
        # exists, null and empty values
        ({"detail": {"state": [{"exists": True}]}}, True),
        ({"detail": {"nothing": [{"exists": False}]}}, True),
        ({"detail": {"state": [{"exists": False}]}}, False),
        ({"detail": {"responseElements": [None]}}, True),
        ({"detail": {"eventVersion": [""]}}, True),
        # wildcard
        ({"resources": [{"wildcard": "arn:aws:ec2:*:123456789012:instance/*"}]}, True),
        ({"detail": {"FilePath": [{"wildcard": "/usr/*/python?"}]}}, False),
        # $or across fields
        (
            {
                "detail": {
                    "$or": [
                        {"c-count": [{"numeric": [">", 10]}]},
                        {"d-count": [{"numeric": ["<", 10]}]},
                    ]
                }
            },
            True,
        ),
        (
            {"source": ["aws.ec2"], "$or": [{"region": ["eu-west-1"]}, {"account": ["1"]}]},
            False,
        ),
    ],
)
def test_documented_operators(pattern, expected):
    assert matches(pattern, EC2) is expected


def test_ipv6_cidr():
    event = {"detail": {"ip": "2001:db8::17"}}
    assert matches({"detail": {"ip": [{"cidr": "2001:db8::/32"}]}}, event)
    assert not matches({"detail": {"ip": [{"cidr": "10.0.0.0/8"}]}}, event)


def test_wildcard_escape_matches_a_literal_star():
    assert matches({"k": [{"wildcard": "a\\*b"}]}, {"k": "a*b"})
    assert not matches({"k": [{"wildcard": "a\\*b"}]}, {"k": "axxb"})


def test_security_hub_finding_matches_on_types_inside_the_findings_array():
    event = load_event("securityhub_imported_cloudtrail_disabled")
    pattern = {
        "source": ["aws.securityhub"],
        "detail-type": ["Security Hub Findings - Imported"],
        "detail": {
            "findings": {
                "Types": ["TTPs/Defense Evasion/Stealth:IAMUser-CloudTrailLoggingDisabled"],
                "Workflow": {"Status": ["NEW"]},
                "RecordState": ["ACTIVE"],
            }
        },
    }
    assert matches(pattern, event)
    other = {**pattern, "detail": {"findings": {"Types": ["Software and Configuration Checks"]}}}
    assert not matches(other, event)
    prefixed = {"detail": {"findings": {"Types": [{"prefix": "TTPs/Defense Evasion/"}]}}}
    assert matches(prefixed, event)


def test_fields_of_one_array_element_must_match_together():
    event = {
        "detail": {
            "findings": [
                {"Types": ["A"], "Severity": {"Label": "LOW"}},
                {"Types": ["B"], "Severity": {"Label": "HIGH"}},
            ]
        }
    }
    assert matches(
        {"detail": {"findings": {"Types": ["B"], "Severity": {"Label": ["HIGH"]}}}}, event
    )
    assert not matches(
        {"detail": {"findings": {"Types": ["A"], "Severity": {"Label": ["HIGH"]}}}}, event
    )


def test_leaf_conditions_do_not_match_objects():
    assert not matches({"detail": [{"exists": True}]}, EC2)
    assert not matches({"detail": {"state": {"inner": ["x"]}}}, EC2)


def test_bad_patterns_are_refused_clearly():
    with pytest.raises(PatternError):
        matches({"source": "aws.ec2"}, EC2)
    with pytest.raises(PatternError):
        matches({"detail": {"c-count": [{"numeric": [">"]}]}}, EC2)
    with pytest.raises(PatternError):
        matches({"detail": {"state": [{"unknown-op": 1}]}}, EC2)


def test_pattern_may_be_json_text():
    assert matches('{"source": ["aws.ec2"]}', EC2)
