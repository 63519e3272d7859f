"""Planning the WAF sets: aggregation, sharding, capacity and tenant regexes (pure logic)."""

from __future__ import annotations

import ipaddress
import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edgeguard.config import ConfigError
from edgeguard.decisions import Decision, InvalidValue
from edgeguard.waf import capacity, shard, tenants
from edgeguard.waf.aggregate import Holes, _summarize, aggregate, parse
from edgeguard.waf.service import EnforcerSettings

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)

# Small IPv4 networks inside 198.18.0.0/15's neighbour 203.0.112.0/22: collisions,
# adjacency and containment happen often, so aggregation has work to do.
v4_networks = st.builds(
    lambda offset, prefix: ipaddress.ip_network(
        f"{ipaddress.IPv4Address(int(ipaddress.IPv4Address('203.0.112.0')) + offset)}/{prefix}",
        strict=False,
    ),
    st.integers(0, 1023),
    st.integers(22, 32),
)


def addresses(networks) -> set[int]:
    return {int(a) for n in networks for a in (n if n.num_addresses > 1 else [n.network_address])}


@settings(max_examples=200, deadline=None)
@given(st.lists(v4_networks, max_size=40), st.lists(v4_networks, max_size=4))
def test_aggregate_covers_exactly_the_decided_addresses_minus_exclusions(decided, excluded):
    cidrs = aggregate(decided, excluded, version=4)
    result = [ipaddress.ip_network(c) for c in cidrs]
    assert addresses(result) == addresses(decided) - addresses(excluded)
    # fewest CIDRs: nothing left to merge, and no overlaps
    assert list(ipaddress.collapse_addresses(result)) == sorted(result)


def test_aggregate_merges_neighbours_and_never_widens():
    nets = [ipaddress.ip_network(n) for n in ("203.0.113.0/32", "203.0.113.1/32", "203.0.113.3/32")]
    assert aggregate(nets) == ["203.0.113.0/31", "203.0.113.3/32"]


def test_aggregate_cuts_allowlisted_hole_out_of_a_range():
    cidrs = aggregate(
        [ipaddress.ip_network("203.0.113.0/24")], [ipaddress.ip_network("203.0.113.128/26")]
    )
    assert cidrs == ["203.0.113.0/25", "203.0.113.192/26"]


def test_aggregate_ipv6():
    nets = [ipaddress.ip_network(f"2001:db8:0:{i}::/64") for i in range(4)]
    assert aggregate(nets, version=6) == ["2001:db8::/62"]
    assert aggregate(nets, version=4) == []


entries = st.lists(
    st.integers(0, 5000).map(lambda i: f"198.51.{i // 256}.{i % 256}/32"), unique=True
)


@settings(max_examples=200, deadline=None)
@given(
    desired=entries.filter(lambda e: len(e) <= 60),
    current=st.lists(entries.map(lambda e: e[:30]), min_size=3, max_size=3),
)
def test_sharding_is_exact_bounded_and_stable(desired, current):
    layout = shard.assign(desired, current, capacity=20)
    assert sorted(e for s in layout for e in s) == sorted(desired)
    assert all(len(s) <= 20 for s in layout)
    assert shard.assign(desired, layout, capacity=20) == layout  # nothing moves twice


@settings(max_examples=100, deadline=None)
@given(
    desired=entries.filter(lambda e: len(e) <= 40),
    removed_count=st.integers(0, 5),
    added=entries.map(lambda e: e[:10]),
)
def test_churn_leaves_untouched_entries_in_place(desired, removed_count, added):
    before = shard.assign(desired, [[], [], []], capacity=20)
    removed = set(desired[:removed_count])
    after = shard.assign(sorted((set(desired) - removed) | set(added)), before, capacity=20)
    kept = set(desired) - removed
    for old, new in zip(before, after, strict=True):
        assert set(old) & kept <= set(new)


def test_sharding_refuses_more_than_fits():
    with pytest.raises(ValueError, match="do not fit"):
        shard.assign([f"198.51.100.{i}/32" for i in range(5)], [[], []], capacity=2)


def test_sharding_at_the_real_waf_limit():
    desired = [f"{10 + i // 65536}.{i // 256 % 256}.{i % 256}.1/32" for i in range(25_000)]
    layout = shard.assign(desired, [[], [], []], capacity=10_000)
    assert max(len(s) for s in layout) <= 10_000
    assert sum(len(s) for s in layout) == 25_000


def decision(value: str, hours: float, action: str = "ban", scope: str = "ip") -> Decision:
    return Decision(
        value=value,
        scope=scope,
        action=action,
        origin="log",
        reason="test",
        created_at=T0,
        expires_at=T0 + timedelta(hours=hours),
    )


def test_capacity_keeps_the_longest_lived():
    decisions = [decision(f"203.0.113.{i * 2}/32", hours=i + 1) for i in range(10)]
    nets = {d.value: ipaddress.ip_network(d.value) for d in decisions}
    fitted = capacity.fit(decisions, lambda ds: aggregate(nets[d.value] for d in ds), 4)
    assert fitted.entries == [
        "203.0.113.12/32",
        "203.0.113.14/32",
        "203.0.113.16/32",
        "203.0.113.18/32",
    ]
    assert sorted(d.value for d in fitted.dropped) == sorted(d.value for d in decisions[:6])


def test_capacity_ranks_ban_before_captcha():
    ranked = capacity.rank(
        [decision("203.0.113.1/32", 9, "captcha"), decision("203.0.113.2/32", 1)]
    )
    assert [d.action for d in ranked] == ["ban", "captcha"]


TEMPLATE = "/account/{tenant}/"


def test_tenant_regexes_match_exactly_their_tenants():
    regexes = tenants.pack(TEMPLATE, ["acc-1", "acc-2", "team_x"])
    assert regexes == ["^/account/(?:acc-1|acc-2|team_x)(?:/|$)"]
    match = [re.compile(r) for r in regexes]

    def blocked(path: str) -> bool:
        return any(r.search(path) for r in match)

    assert blocked("/account/acc-1/orders")
    assert blocked("/account/acc-2")
    assert not blocked("/account/acc-12/orders")
    assert not blocked("/account/acc-3/")
    assert not blocked("/other/account/acc-1/")


def test_nobody_blocked_is_the_placeholder():
    assert tenants.pack(TEMPLATE, []) == ["^$"]
    assert not re.search("^$", "/account/acc-1/")


@settings(max_examples=100, deadline=None)
@given(st.lists(st.from_regex(r"[a-z0-9][a-z0-9_-]{0,62}", fullmatch=True), max_size=60))
def test_tenant_packing_respects_waf_limits_and_matches_each_tenant(ids):
    regexes = tenants.pack(TEMPLATE, ids)
    assert all(len(r) <= tenants.MAX_REGEX_LENGTH for r in regexes)
    compiled = [re.compile(r) for r in regexes]
    for tenant in ids:
        assert any(r.search(f"/account/{tenant}/x") for r in compiled)
        assert not any(r.search(f"/account/{tenant}z/x") for r in compiled) or any(
            f"{tenant}z" == other for other in ids
        )


def test_documented_tenant_capacity():
    assert tenants.capacity(TEMPLATE, 8) == 200
    assert tenants.capacity(TEMPLATE, 63) == 20
    ids = [f"acc-{i:04d}" for i in range(200)]
    assert tenants.fits(tenants.pack(TEMPLATE, ids))
    assert not tenants.fits(tenants.pack(TEMPLATE, [*ids, "acc-9999"]))


@pytest.mark.parametrize("bad", ["Acc-1", "acc 1", "acc.*", "a|b", "", "-acc", "x" * 64])
def test_malformed_tenant_ids_are_refused(bad):
    with pytest.raises(InvalidValue, match="invalid tenant id"):
        tenants.pack(TEMPLATE, [bad])


def test_template_literals_are_escaped():
    (regex,) = tenants.pack("/t.v1/{tenant}/", ["a"])
    assert regex == r"^/t\.v1/(?:a)(?:/|$)"
    assert not re.search(regex, "/tXv1/a/")


@settings(max_examples=200, deadline=None)
@given(v4_networks, st.lists(v4_networks, max_size=5))
def test_holes_count_pieces_like_aggregation(network, excluded):
    assert Holes(excluded).pieces(network) == len(aggregate([network], excluded))


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 5000), st.booleans())
def test_summaries_match_the_standard_library(start, length, v6):
    if v6:
        start, length = start << 96, length << 64
        low, high = (
            ipaddress.IPv6Address(start),
            ipaddress.IPv6Address(min(start + length, 2**128 - 1)),
        )
    else:
        low, high = (
            ipaddress.IPv4Address(start),
            ipaddress.IPv4Address(min(start + length, 2**32 - 1)),
        )
    expected = [n.with_prefixlen for n in ipaddress.summarize_address_range(low, high)]
    assert list(_summarize(int(low), int(high), 6 if v6 else 4)) == expected


ARN = "arn:aws:wafv2:us-east-1:123456789012:global/ipset/edgeguard-dev-ban-v4-1/1111-2222"


def test_enforcer_settings_name_what_is_wrong():
    base = {"BAN_IPV4_SET_1": ARN, "BAN_IPV6_SET_1": ARN.replace("v4", "v6")}
    settings = EnforcerSettings.from_env(base)
    assert settings.ban_v4[0].name == "edgeguard-dev-ban-v4-1"
    assert settings.ban_v4[0].scope == "CLOUDFRONT"
    assert settings.ban_v4[0].id == "1111-2222"
    with pytest.raises(ConfigError, match="BAN_IPV6_SET_1"):
        EnforcerSettings.from_env({"BAN_IPV4_SET_1": ARN})
    with pytest.raises(ConfigError, match=r"BAN_IPV4_SHARD_IDS: .* is not a WAF set id"):
        EnforcerSettings.from_env({**base, "BAN_IPV4_SHARD_IDS": "id-2,edgeguard/dev"})
    with pytest.raises(ConfigError, match="BAN_IPV6_SHARD_IDS: at most 9"):
        EnforcerSettings.from_env({**base, "BAN_IPV6_SHARD_IDS": ",".join("abcdefghij")})
    with pytest.raises(ConfigError, match="tenant path template"):
        EnforcerSettings.from_env({**base, "TENANT_PATH_TEMPLATE": "/account/"})
    with pytest.raises(ConfigError, match="IP_SET_CAPACITY"):
        EnforcerSettings.from_env({**base, "IP_SET_CAPACITY": "20000"})
    with pytest.raises(ConfigError, match="WAF_SCOPE"):
        EnforcerSettings.from_env({**base, "WAF_SCOPE": "GLOBAL"})


def test_tenant_template_is_matched_in_lower_case_like_the_web_acl_sees_paths():
    """The web ACL's rule lower-cases (and normalises) the URI path before matching."""
    [regex] = tenants.pack("/Account/{tenant}/", ["acc-1"])
    assert re.search(regex, "/Account//ACC-1/orders".lower().replace("//", "/"))
    assert not re.search(regex, "/Account/acc-1/")  # the raw path never reaches the regex


@given(
    st.one_of(
        st.builds(
            lambda a, p: f"{ipaddress.IPv4Address(a)}/{p}",
            st.integers(0, 2**32 - 1),
            st.integers(0, 32),
        ),
        st.from_regex(r"\A[0-9]{1,4}(\.[0-9]{1,4}){2,4}/[0-9]{1,3}\Z"),
        st.text(alphabet="0123456789./:abcdef ²", max_size=24),
    )
)
def test_parse_fast_path_agrees_with_the_standard_library(text):
    try:
        expected = ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        expected = None
    assert parse(text) == expected
