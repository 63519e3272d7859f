"""WAFv2 writes behave like AWS: full-replace UpdateWebACL, IP set checks, lock tokens."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

VISIBILITY = {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": "m"}
VERIFY_RULE = {
    "Name": "origin-verify",
    "Priority": 0,
    "Statement": {
        "ByteMatchStatement": {
            "SearchString": b"secret-v1",
            "FieldToMatch": {"SingleHeader": {"Name": "x-origin-verify"}},
            "TextTransformations": [{"Priority": 0, "Type": "NONE"}],
            "PositionalConstraint": "EXACTLY",
        }
    },
    "Action": {"Allow": {}},
    "VisibilityConfig": VISIBILITY,
}
MUTABLE = (
    "DefaultAction",
    "Description",
    "Rules",
    "VisibilityConfig",
    "CustomResponseBodies",
    "CaptchaConfig",
    "ChallengeConfig",
    "TokenDomains",
    "AssociationConfig",
)


@pytest.fixture
def acl_id(waf):
    return waf.create_web_acl(
        Name="origin",
        Scope="REGIONAL",
        DefaultAction={
            "Block": {"CustomResponse": {"ResponseCode": 403, "CustomResponseBodyKey": "denied"}}
        },
        VisibilityConfig=VISIBILITY,
        Rules=[VERIFY_RULE],
        CustomResponseBodies={"denied": {"ContentType": "TEXT_PLAIN", "Content": "Forbidden"}},
        CaptchaConfig={"ImmunityTimeProperty": {"ImmunityTime": 300}},
        ChallengeConfig={"ImmunityTimeProperty": {"ImmunityTime": 600}},
        TokenDomains=["app.example.com"],
        AssociationConfig={"RequestBody": {"CLOUDFRONT": {"DefaultSizeInspectionLimit": "KB_32"}}},
    )["Summary"]["Id"]


def _get(waf, acl_id):
    return waf.get_web_acl(Name="origin", Scope="REGIONAL", Id=acl_id)


def _code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def test_get_then_update_round_trips_every_field(waf, acl_id):
    before = _get(waf, acl_id)
    spec = {k: before["WebACL"][k] for k in MUTABLE if k in before["WebACL"]}
    assert "Description" not in spec  # created without one: AWS omits it
    rule = spec["Rules"][0]["Statement"]["ByteMatchStatement"]
    rule["SearchString"] = b"secret-v2"
    waf.update_web_acl(
        Name="origin", Scope="REGIONAL", Id=acl_id, LockToken=before["LockToken"], **spec
    )
    after = _get(waf, acl_id)["WebACL"]
    for key in MUTABLE:
        assert after.get(key) == spec.get(key), key
    assert after["Rules"][0]["Statement"]["ByteMatchStatement"]["SearchString"] == b"secret-v2"


def test_update_replaces_fields_the_caller_left_out(waf, acl_id):
    current = _get(waf, acl_id)
    waf.update_web_acl(
        Name="origin",
        Scope="REGIONAL",
        Id=acl_id,
        LockToken=current["LockToken"],
        DefaultAction={"Allow": {}},
        VisibilityConfig=VISIBILITY,
        Rules=[],
    )
    after = _get(waf, acl_id)["WebACL"]
    assert after["Rules"] == []
    for dropped in (
        "CustomResponseBodies",
        "CaptchaConfig",
        "ChallengeConfig",
        "TokenDomains",
        "AssociationConfig",
    ):
        assert dropped not in after, dropped


def test_update_web_acl_with_stale_lock_token_is_optimistic_lock(waf, acl_id):
    stale = _get(waf, acl_id)["LockToken"]
    spec = {"DefaultAction": {"Allow": {}}, "VisibilityConfig": VISIBILITY, "Rules": [VERIFY_RULE]}
    waf.update_web_acl(Name="origin", Scope="REGIONAL", Id=acl_id, LockToken=stale, **spec)
    with pytest.raises(ClientError) as excinfo:
        waf.update_web_acl(Name="origin", Scope="REGIONAL", Id=acl_id, LockToken=stale, **spec)
    assert _code(excinfo) == "WAFOptimisticLockException"


def test_duplicate_web_acl_uses_aws_error_code(waf, acl_id):
    with pytest.raises(ClientError) as excinfo:
        waf.create_web_acl(
            Name="origin",
            Scope="REGIONAL",
            DefaultAction={"Allow": {}},
            VisibilityConfig=VISIBILITY,
        )
    assert _code(excinfo) == "WAFDuplicateItemException"


# ---- IP sets ---------------------------------------------------------------------------


def _ip_set(waf, name="ban-v4", version="IPV4", addresses=()):
    return waf.create_ip_set(
        Name=name,
        Scope="CLOUDFRONT",
        IPAddressVersion=version,
        Addresses=list(addresses),
    )["Summary"]


def _update(waf, summary, addresses, lock_token):
    return waf.update_ip_set(
        Name=summary["Name"],
        Scope="CLOUDFRONT",
        Id=summary["Id"],
        Addresses=addresses,
        LockToken=lock_token,
    )


def test_update_ip_set_with_stale_lock_token_is_optimistic_lock(waf):
    summary = _ip_set(waf)
    stale = waf.get_ip_set(Name="ban-v4", Scope="CLOUDFRONT", Id=summary["Id"])["LockToken"]
    fresh = _update(waf, summary, ["203.0.113.7/32"], stale)["NextLockToken"]
    assert fresh != stale
    with pytest.raises(ClientError) as excinfo:
        _update(waf, summary, ["203.0.113.8/32"], stale)
    assert _code(excinfo) == "WAFOptimisticLockException"
    current = waf.get_ip_set(Name="ban-v4", Scope="CLOUDFRONT", Id=summary["Id"])
    assert current["IPSet"]["Addresses"] == ["203.0.113.7/32"]
    assert current["LockToken"] == fresh


@pytest.mark.parametrize(
    ("version", "address"),
    [
        ("IPV4", "203.0.113.7"),  # no prefix length
        ("IPV4", "203.0.113.300/32"),
        ("IPV4", "2001:db8::/64"),  # wrong version
        ("IPV6", "203.0.113.0/24"),
        ("IPV4", "0.0.0.0/0"),
    ],
)
def test_ip_set_contents_must_be_cidrs_of_its_version(waf, version, address):
    summary = _ip_set(waf, version=version)
    token = waf.get_ip_set(Name="ban-v4", Scope="CLOUDFRONT", Id=summary["Id"])["LockToken"]
    with pytest.raises(ClientError) as excinfo:
        _update(waf, summary, [address], token)
    assert _code(excinfo) == "WAFInvalidParameterException"
    assert excinfo.value.response.get("Field") == "IP_ADDRESS"
    with pytest.raises(ClientError):
        _ip_set(waf, name="other", version=version, addresses=[address])


def test_ip_set_accepts_valid_cidrs_of_both_versions(waf):
    v4 = _ip_set(waf, addresses=["203.0.113.0/24", "198.51.100.7/32"])
    v6 = _ip_set(waf, name="ban-v6", version="IPV6", addresses=["2001:db8::/64"])
    assert waf.get_ip_set(Name="ban-v4", Scope="CLOUDFRONT", Id=v4["Id"])["IPSet"]["Addresses"]
    assert waf.get_ip_set(Name="ban-v6", Scope="CLOUDFRONT", Id=v6["Id"])["IPSet"]["Addresses"]


def test_ip_set_holds_at_most_10000_addresses(waf):
    summary = _ip_set(waf)
    token = waf.get_ip_set(Name="ban-v4", Scope="CLOUDFRONT", Id=summary["Id"])["LockToken"]
    addresses = [f"10.{i // 256}.{i % 256}.1/32" for i in range(10_001)]
    with pytest.raises(ClientError) as excinfo:
        _update(waf, summary, addresses, token)
    assert _code(excinfo) == "WAFLimitsExceededException"
    _update(waf, summary, addresses[:10_000], token)
    stored = waf.get_ip_set(Name="ban-v4", Scope="CLOUDFRONT", Id=summary["Id"])["IPSet"]
    assert len(stored["Addresses"]) == 10_000


def test_duplicate_ip_set_name_in_scope(waf):
    _ip_set(waf)
    with pytest.raises(ClientError) as excinfo:
        _ip_set(waf)
    assert _code(excinfo) == "WAFDuplicateItemException"


def test_get_web_acl_by_arn_alone_for_both_scopes(waf, acl_id):
    regional = _get(waf, acl_id)["WebACL"]["ARN"]
    assert waf.get_web_acl(ARN=regional)["WebACL"]["Id"] == acl_id
    edge = waf.create_web_acl(
        Name="edge", Scope="CLOUDFRONT", DefaultAction={"Allow": {}}, VisibilityConfig=VISIBILITY
    )["Summary"]
    assert "Description" not in edge
    assert waf.get_web_acl(ARN=edge["ARN"])["WebACL"]["Name"] == "edge"
    [summary] = waf.list_web_acls(Scope="CLOUDFRONT")["WebACLs"]
    assert summary["ARN"] == edge["ARN"]


def test_update_ip_set_and_regex_set_replace_description(waf):
    summary = waf.create_ip_set(
        Name="ban-v4",
        Scope="CLOUDFRONT",
        IPAddressVersion="IPV4",
        Addresses=[],
        Description="edgeguard bans",
    )["Summary"]
    token = waf.get_ip_set(Name="ban-v4", Scope="CLOUDFRONT", Id=summary["Id"])["LockToken"]
    _update(waf, summary, ["203.0.113.7/32"], token)
    ip_set = waf.get_ip_set(Name="ban-v4", Scope="CLOUDFRONT", Id=summary["Id"])["IPSet"]
    assert "Description" not in ip_set
    assert ip_set["Addresses"] == ["203.0.113.7/32"]

    patterns = waf.create_regex_pattern_set(
        Name="tenants",
        Scope="CLOUDFRONT",
        Description="blocked tenants",
        RegularExpressionList=[{"RegexString": "^$"}],
    )["Summary"]
    current = waf.get_regex_pattern_set(Name="tenants", Scope="CLOUDFRONT", Id=patterns["Id"])
    waf.update_regex_pattern_set(
        Name="tenants",
        Scope="CLOUDFRONT",
        Id=patterns["Id"],
        RegularExpressionList=[{"RegexString": "^/account/acc-123(/|$)"}],
        LockToken=current["LockToken"],
    )
    updated = waf.get_regex_pattern_set(Name="tenants", Scope="CLOUDFRONT", Id=patterns["Id"])
    assert "Description" not in updated["RegexPatternSet"]
    assert updated["RegexPatternSet"]["RegularExpressionList"] == [
        {"RegexString": "^/account/acc-123(/|$)"}
    ]
    with pytest.raises(ClientError) as excinfo:
        waf.update_regex_pattern_set(
            Name="tenants",
            Scope="CLOUDFRONT",
            Id=patterns["Id"],
            RegularExpressionList=[{"RegexString": "^$"}],
            LockToken=current["LockToken"],
        )
    assert _code(excinfo) == "WAFOptimisticLockException"
