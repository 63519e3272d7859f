"""The blocklist importer end to end: a real HTTP server on 127.0.0.1 serves every feed
format, moto holds the decisions table, the state table and the WAF sets (all from
template.yaml), and the enforcer turns the decisions into WAF entries.

Every acceptance case of issue 17: first import, unchanged feed (304 and same body: no
decision write, no WAF write, every entry still active after days of refreshes),
operator unblock (not re-banned), entry added, entry removed (lifted after the grace,
never flapping), server 500, timeout, HTML page with 200, truncated body, list shrunk by
90 % - each ends in the right state with nothing lost.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from moto import mock_aws

from edgeguard.breaker.service import Backend, CircuitBreaker
from tests.blocklist_support import HOUR, T0, FeedServer, Route, drop_json, fixture, make_rig, many

GRACE = timedelta(hours=24)  # BlocklistGraceHours' default
DROP = [
    "1.10.16.0/20",
    "1.19.0.0/16",
    "1.32.128.0/18",
    "2.56.192.0/22",
    "5.134.128.0/19",
]
BAN_V4 = ("BanIpV4Shard1", "BanIpV4Shard2")
BAN_V6 = ("BanIpV6Shard1", "BanIpV6Shard2")


@pytest.fixture
def server():
    with mock_aws(), FeedServer() as served:
        yield served


def one_feed(server: FeedServer, body: bytes, **route):
    server.routes["/drop_v4.json"] = Route(body, content_type="application/json", **route)
    return make_rig(server, [{"name": "spamhaus-drop", "path": "/drop_v4.json"}])


def test_first_import_of_every_format_bans_what_it_should_and_refuses_the_rest(server):
    files = {
        "/drop_v4.json": ("drop_v4.json", {"name": "spamhaus-drop"}),
        "/drop_v6.json": ("drop_v6.json", {"name": "spamhaus-dropv6"}),
        "/drop.txt": (
            "drop.txt",
            {"name": "drop-text", "format": "drop-text", "max_width_v4": 8},
        ),
        "/torbulkexitlist": ("torbulkexitlist", {"name": "tor-exits", "enabled": True}),
        "/exit-addresses": (
            "exit-addresses",
            {"name": "tor-dnsel", "format": "tor-exit-addresses", "action": "ban"},
        ),
        "/firehol_level1.netset": (
            "firehol_level1.netset",
            {"name": "firehol-level1", "enabled": True, "max_width_v4": 16},
        ),
        "/compromised-ips.txt": ("compromised-ips.txt", {"name": "et-compromised"}),
    }
    for path, (name, _) in files.items():
        server.routes[path] = Route(fixture(name))
    rig = make_rig(server, [{**feed, "path": path} for path, (_, feed) in files.items()])

    report = rig.run(T0)

    by_name = {f.name: f for f in report.feeds}
    assert {f.status for f in report.feeds} == {"changed"}
    active = rig.active(T0 + HOUR)
    bans = {v for v, a in active if a == "ban"}
    assert set(DROP) <= bans
    assert {"2a06:e480::/29", "2a0d:8d06::/32", "2c0f:f668::/32"} <= bans
    assert {"162.247.74.201/32", "185.220.101.4/32", "2001:67c:e60:c0c::/64"} <= bans
    assert {"5.188.10.0/23", "45.135.232.0/24"} <= bans  # FireHOL
    assert {"1.12.231.30/32", "45.148.10.12/32"} <= bans  # Emerging Threats
    captchas = {v for v, a in active if a == "captcha"}
    assert captchas == {f"{ip}/32" for ip in fixture("torbulkexitlist").decode().split()}
    # one decision per (value, action) however many feeds list it; reason = a feed's name
    assert active[("1.10.16.0/20", "ban")].reason in {
        "drop-text",
        "firehol-level1",
        "spamhaus-drop",
    }
    assert active[("1.10.16.0/20", "ban")].details["feeds"] == [
        "drop-text",
        "firehol-level1",
        "spamhaus-drop",
    ]
    # refused as for every origin, and wider than the feed allows: counted and said why
    assert by_name["spamhaus-drop"].refused == 1
    assert "private" in by_name["spamhaus-drop"].refused_examples[0]
    assert by_name["et-compromised"].refused == 1
    assert "CloudFront" in by_name["et-compromised"].refused_examples[0]
    firehol = "\n".join(by_name["firehol-level1"].refused_examples)
    assert by_name["firehol-level1"].refused == 7
    assert "23.94.0.0/15 is wider than /16" in firehol and "224.0.0.0/3" in firehol
    assert not any(v.startswith(("10.", "3.11.53.", "224.", "127.")) for v, _ in active)

    rig.enforce(T0)
    in_waf = rig.waf_entries(BAN_V4)
    assert {"1.10.16.0/20", "1.19.0.0/16", "5.188.10.0/23", "162.247.74.201/32"} <= in_waf
    assert {"2a06:e480::/29", "2001:67c:e60:c0c::/64"} <= rig.waf_entries(BAN_V6)
    # the enforcer aggregates: .4 and .5 are one /31
    assert {"185.220.101.4/31", "204.8.96.106/32"} <= rig.waf_entries(("CaptchaIpV4",))


def test_unchanged_feed_costs_no_decision_write_no_waf_write_and_stays_active(server):
    rig = one_feed(server, fixture("drop_v4.json"))
    rig.run(T0)
    rig.enforce(T0)
    first_writes = rig.decision_writes()
    assert first_writes == 5

    report = rig.run(T0 + HOUR)
    assert report.decision_writes == 0 and rig.decision_writes() == 0
    assert report.feeds[0].status == "unchanged" and report.feeds[0].note == "304 Not Modified"
    assert rig.enforce(T0 + HOUR) == 0
    conditional = server.hits[-1]
    assert conditional.status == 304
    assert conditional.headers["If-None-Match"] and conditional.headers["If-Modified-Since"]

    # three days of hourly refreshes: every entry active throughout, WAF never written,
    # the leases renewed in one bulk step about once a day
    waf_writes = renewals = writes = 0
    for hour in range(2, 73):
        at = T0 + hour * HOUR
        report = rig.run(at)
        writes += rig.decision_writes()
        renewals += report.feeds[0].renewed > 0
        waf_writes += rig.enforce(at)
        assert set(DROP) == {v for v, _ in rig.active(at + timedelta(minutes=59))}
    assert waf_writes == 0
    assert 1 <= renewals <= 4
    assert writes == renewals * len(DROP)
    assert all(hit.status == 304 for hit in server.hits[1:])


def test_same_body_without_validators_is_unchanged_too(server):
    rig = one_feed(server, fixture("drop_v4.json"), conditional=False)
    rig.run(T0)
    rig.decision_writes()
    report = rig.run(T0 + HOUR)
    assert server.hits[-1].status == 200 and "If-None-Match" not in server.hits[-1].headers
    assert report.feeds[0].note == "same body (SHA-256)"
    assert rig.decision_writes() == 0


def test_operator_unblock_of_a_feed_entry_sticks_until_reinstated(server):
    rig = one_feed(server, drop_json(DROP))
    rig.run(T0)
    rig.enforce(T0)
    announced = []
    breaker = CircuitBreaker(
        Backend(rig.store, announced.append, lambda: None, "arn:aws:iam::123456789012:user/alice")
    )

    change = breaker.unblock("1.19.0.0/16", "our partner's range, false positive")

    assert change.status == "lifted"
    (exception,) = breaker.exceptions()
    assert (exception.value, exception.origin) == ("1.19.0.0/16", "blocklist")
    assert exception.who.endswith("user/alice") and "false positive" in exception.why
    assert announced[0].fields["excepted_from"] == ["blocklist"]
    # the feed changes (a new entry) and, a day later, the leases are renewed: the
    # excepted entry is not banned again while the feed still lists it
    server.routes["/drop_v4.json"] = Route(drop_json([*DROP, "45.9.148.0/22"]))
    added = rig.run(T0 + HOUR)
    renewed = rig.run(T0 + 23 * HOUR)
    assert renewed.feeds[0].renewed == 5 and renewed.feeds[0].excepted == 1
    assert ("45.9.148.0/22", "ban") in rig.active(T0 + 23 * HOUR)
    assert ("1.19.0.0/16", "ban") not in rig.active(T0 + 23 * HOUR)
    assert added.feeds[0].added == 1
    rig.enforce(T0 + 23 * HOUR)
    assert "1.19.0.0/16" not in rig.waf_entries(BAN_V4)

    assert breaker.reinstate("1.19.0.0/16").status == "reinstated"
    assert breaker.exceptions() == []
    rig.run(T0 + 46 * HOUR)  # the next renewal bans it again
    assert ("1.19.0.0/16", "ban") in rig.active(T0 + 46 * HOUR)


def test_entry_added_is_banned_and_entry_removed_is_lifted_after_the_grace(server):
    rig = one_feed(server, drop_json(DROP))
    rig.run(T0)
    rig.decision_writes()
    gone, new = "2.56.192.0/22", "45.9.148.0/22"
    server.routes["/drop_v4.json"] = Route(drop_json([*[c for c in DROP if c != gone], new]))

    report = rig.run(T0 + HOUR)

    assert (report.feeds[0].added, report.feeds[0].ended) == (1, 1)
    assert report.decision_writes == rig.decision_writes() == 2
    assert (new, "ban") in rig.active(T0 + HOUR)
    assert (gone, "ban") in rig.active(T0 + HOUR + GRACE - timedelta(seconds=1))
    assert (gone, "ban") not in rig.active(T0 + HOUR + GRACE)
    rig.enforce(T0 + HOUR + GRACE + timedelta(minutes=1))
    assert gone not in rig.waf_entries(BAN_V4) and new in rig.waf_entries(BAN_V4)


def test_an_entry_that_leaves_and_returns_within_the_grace_never_flaps(server):
    rig = one_feed(server, drop_json(DROP))
    rig.run(T0)
    rig.enforce(T0)
    flapping = "1.32.128.0/18"
    without = Route(drop_json([c for c in DROP if c != flapping]))
    with_it = Route(drop_json(DROP))
    for hour in range(1, 30):
        server.routes["/drop_v4.json"] = without if hour % 2 else with_it
        rig.run(T0 + hour * HOUR)
        # active at every instant until the next run
        assert (flapping, "ban") in rig.active(T0 + (hour + 1) * HOUR)
        assert rig.enforce(T0 + hour * HOUR) == 0


@pytest.mark.parametrize(
    ("route", "why"),
    [
        (Route(b"", fault="500"), "HTTP 500"),
        (Route(drop_json(DROP), fault="slow", delay=2.5), "timed out"),
        (Route(b"", fault="html"), "HTML"),
        (Route(drop_json(DROP), fault="truncated"), "truncated"),
        (Route(drop_json(DROP).split(b'{"type"')[0]), "truncated"),  # cut before metadata
        (Route(drop_json(many(10))), "shrank from 100 to 10 entries (90% fewer"),
    ],
    ids=["500", "timeout", "html-200", "cut-short", "no-metadata-line", "shrunk-90pct"],
)
def test_a_bad_download_is_rejected_whole_and_told_once(server, route, why):
    full = many(100) if "shrank" in why else DROP
    rig = one_feed(server, drop_json(full))
    rig.run(T0)
    before = rig.active(T0)
    rig.decision_writes()
    rig.alerts()
    server.routes["/drop_v4.json"] = route

    first = rig.run(T0 + HOUR)
    second = rig.run(T0 + 2 * HOUR)

    for report in (first, second):
        (feed,) = report.rejected
        assert why in feed.error, feed.error
        assert report.decision_writes == 0
    assert rig.decision_writes() == 0
    assert rig.active(T0 + 2 * HOUR) == before  # nothing lost, nothing changed
    (alert,) = rig.alerts()  # once, not once per run
    assert alert["kind"] == "blocklist-feed-rejected"
    assert why.split(" (")[0] in alert["fields"]["why"]
    assert alert["fields"]["entries_kept"] == len(full)


def test_a_feed_unreachable_past_the_grace_is_lifted_then_reimported_on_recovery(server):
    rig = one_feed(server, drop_json(DROP))
    rig.run(T0)
    rig.enforce(T0)
    good = server.routes["/drop_v4.json"]
    server.routes["/drop_v4.json"] = Route(b"", fault="500")
    for hour in range(1, 24):
        assert rig.run(T0 + hour * HOUR).rejected
        assert len(rig.active(T0 + hour * HOUR)) == len(DROP)
    rig.alerts()

    lifted = rig.run(T0 + GRACE)

    assert lifted.feeds[0].status == "lifted" and lifted.feeds[0].ended == len(DROP)
    assert rig.active(T0 + GRACE) == {}
    rig.enforce(T0 + GRACE)
    assert not set(DROP) & rig.waf_entries(BAN_V4)
    assert [a["kind"] for a in rig.alerts()] == ["blocklist-feed-lifted"]
    assert rig.run(T0 + GRACE + HOUR).feeds[0].ended == 0  # told and done once

    server.routes["/drop_v4.json"] = good
    back = rig.run(T0 + GRACE + 2 * HOUR)
    assert back.feeds[0].status == "changed" and back.feeds[0].added == len(DROP)
    assert len(rig.active(T0 + GRACE + 2 * HOUR)) == len(DROP)


def test_a_shrunk_list_served_for_the_grace_is_believed(server):
    rig = one_feed(server, drop_json(many(100)))
    rig.run(T0)
    server.routes["/drop_v4.json"] = Route(drop_json(many(10)))
    for hour in range(1, 25):
        assert rig.run(T0 + hour * HOUR).rejected
    accepted = rig.run(T0 + 25 * HOUR)
    assert accepted.feeds[0].status == "changed" and accepted.feeds[0].ended == 90
    assert "accepted" in accepted.feeds[0].note


def test_disabling_a_feed_ends_its_entries_at_once(server):
    rig = one_feed(server, drop_json(DROP))
    rig.run(T0)
    settings = rig.importer.settings
    (feed,) = settings.feeds
    from dataclasses import replace  # noqa: PLC0415

    rig.importer.settings = replace(settings, feeds=(replace(feed, enabled=False),))
    report = rig.run(T0 + HOUR)
    assert report.feeds[0].status == "disabled" and report.feeds[0].ended == len(DROP)
    assert rig.active(T0 + HOUR) == {}
    rig.decision_writes()
    assert rig.run(T0 + 2 * HOUR).decision_writes == 0
    assert rig.decision_writes() == 0
