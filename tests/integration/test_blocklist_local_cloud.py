"""The local cloud runs the blocklist importer on the template's own schedule against its
local feed hosts (edgeguard_tools.local.feed_server), and the enforcer puts the feeds'
entries into the WAF sets."""

from __future__ import annotations

import json

import pytest

from edgeguard.waf.sets import SetRef
from edgeguard_tools.local.cloud import LocalCloud
from edgeguard_tools.local.feed_server import (
    SAMPLE_COMPROMISED,
    SAMPLE_DROP_V4,
    SAMPLE_DROP_V6,
    Route,
    drop_json,
)


def waf_entries(cloud: LocalCloud, *logical_ids: str) -> set[str]:
    waf = cloud.client("wafv2")
    found: set[str] = set()
    for logical_id in logical_ids:
        ref = SetRef.from_arn(cloud.attribute(logical_id, "Arn"), "CLOUDFRONT")
        found |= set(waf.get_ip_set(**ref.key())["IPSet"]["Addresses"])
    return found


REFRESH_MINUTES, GRACE_HOURS = 5, 2  # the parameters' smallest, so the test ticks little


@pytest.fixture(scope="module")
def cloud():
    parameters = {"BlocklistRefreshMinutes": REFRESH_MINUTES, "BlocklistGraceHours": GRACE_HOURS}
    with LocalCloud(parameters, quiet=True) as running:
        yield running


def importer_runs(cloud: LocalCloud) -> list:
    return [i for i in cloud.invocations if i.logical_id == "BlocklistImportFunction"]


def test_the_schedule_imports_the_feeds_and_waf_holds_their_entries(cloud):
    assert importer_runs(cloud) == []
    cloud.tick(REFRESH_MINUTES)  # the schedule's first run

    (run,) = importer_runs(cloud)
    assert {f["name"]: f["status"] for f in run.result["feeds"]} == {
        "spamhaus-drop": "changed",
        "spamhaus-dropv6": "changed",
        "et-compromised": "changed",
    }
    v4 = waf_entries(cloud, "BanIpV4Shard1", "BanIpV4Shard2")
    assert set(SAMPLE_DROP_V4) <= v4
    assert {f"{ip}/32" for ip in SAMPLE_COMPROMISED} <= v4
    assert set(SAMPLE_DROP_V6) <= waf_entries(cloud, "BanIpV6Shard1", "BanIpV6Shard2")

    # at the next run the hosts answer 304: no decision written, WAF left alone
    cloud.tick(REFRESH_MINUTES)
    second = importer_runs(cloud)[-1]
    assert second.result["decision_writes"] == 0
    assert {f["status"] for f in second.result["feeds"]} == {"unchanged"}
    assert {hit.status for hit in cloud.feeds.hits[-3:]} == {304}

    # the feed drops an entry: it leaves WAF once the grace has passed
    cloud.feeds.routes["/compromised-ips.txt"] = Route(
        ("\n".join(SAMPLE_COMPROMISED[1:]) + "\n").encode()
    )
    cloud.tick(REFRESH_MINUTES)
    assert f"{SAMPLE_COMPROMISED[0]}/32" in waf_entries(cloud, "BanIpV4Shard1", "BanIpV4Shard2")
    cloud.tick(GRACE_HOURS * 60)
    assert f"{SAMPLE_COMPROMISED[0]}/32" not in waf_entries(cloud, "BanIpV4Shard1", "BanIpV4Shard2")


def test_an_operator_unblock_is_an_exception_listed_by_decisions_and_removable(cloud, capsys):
    from edgeguard_tools.cli import main  # noqa: PLC0415

    if not importer_runs(cloud):
        cloud.tick(REFRESH_MINUTES)
    entry = SAMPLE_DROP_V4[1]
    assert main(["unblock", entry, "--reason", "partner network, false positive", "--local"]) == 0
    capsys.readouterr()

    assert main(["decisions", "--local"]) == 0
    text = capsys.readouterr().out
    assert "exceptions (feed entries an operator unblocked" in text
    assert entry in text.split("exceptions (")[1] and "false positive" in text
    assert main(["blocklist", "exceptions", "--json", "--local"]) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert (listed["value"], listed["origin"]) == (entry, "blocklist")

    # the feed changes and the importer runs: the entry is not banned again
    cloud.feeds.routes["/drop_v4.json"] = Route(drop_json([*SAMPLE_DROP_V4, "45.9.148.0/22"]))
    cloud.tick(REFRESH_MINUTES)
    v4 = waf_entries(cloud, "BanIpV4Shard1", "BanIpV4Shard2")
    assert "45.9.148.0/22" in v4 and entry not in v4

    assert main(["blocklist", "reinstate", entry, "--local"]) == 0
    assert "exception removed" in capsys.readouterr().out
    assert main(["blocklist", "exceptions", "--local"]) == 0
    assert capsys.readouterr().out.strip() == "no exceptions"
