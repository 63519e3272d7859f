"""Demo chapter: blocklist feeds, through the local cloud.

The local cloud's feed hosts (edgeguard_tools.local.feed_server, on 127.0.0.1) serve
Spamhaus DROP / DROPv6 and an Emerging Threats-style list. The importer runs on the
template's schedule (every 5 minutes here), the enforcer puts the entries into WAF; the
next run costs one conditional request and no write; an operator's unblock sticks; a
feed host answering with an HTML page is rejected whole, the entries stay, the team is
told once.
"""

from __future__ import annotations

import contextlib
import io
from typing import Any

from edgeguard.waf.service import EnforcerSettings
from edgeguard_tools.cli import main
from edgeguard_tools.demo.localcloud import local_cloud
from edgeguard_tools.demo.story import Story
from edgeguard_tools.local.feed_server import SAMPLE_DROP_V4, Route, drop_json

TITLE = "Blocklist feeds: known-bad networks banned before they knock"
REFRESH_MINUTES = 5
PARAMETERS = {"BlocklistRefreshMinutes": REFRESH_MINUTES, "BlocklistGraceHours": 2}
NEW_ENTRY = "45.9.148.0/22"


def _cli(story: Story, *argv: str) -> tuple[int, str]:
    story.step("$ edgeguard " + " ".join(argv))
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    for line in (out.getvalue() + err.getvalue()).splitlines()[:12]:
        story.step("  " + line)
    return code, out.getvalue()


def _bans(cloud: Any) -> set[str]:
    waf = cloud.client("wafv2")
    settings = EnforcerSettings.from_env(cloud.function_environment("IpSetSyncFunction"))
    found: set[str] = set()
    for ref in (*settings.ban_v4, *settings.ban_v6):
        found |= set(waf.get_ip_set(**ref.key())["IPSet"]["Addresses"])
    return found


def _last_run(cloud: Any) -> dict[str, Any]:
    runs = [i for i in cloud.invocations if i.logical_id == "BlocklistImportFunction"]
    return dict(runs[-1].result or {}) if runs else {}


def _tick(story: Story, cloud: Any, why: str) -> dict[str, Any]:
    story.step(f"{REFRESH_MINUTES} minutes pass: {why}")
    cloud.tick(REFRESH_MINUTES)
    report = _last_run(cloud)
    for feed in report.get("feeds", []):
        story.step(
            f"  {feed['name']}: {feed['status']}"
            + (f" ({feed['note']})" if feed["note"] else "")
            + (f" - {feed['error']}" if feed["error"] else "")
            + f", +{feed['added']} -{feed['ended']}, excepted {feed['excepted']}"
        )
    story.step(f"  decision writes: {report.get('decision_writes')}")
    return report


def run(story: Story) -> None:
    cloud = local_cloud(PARAMETERS)
    drop_url = cloud.feeds.url("/drop_v4.json")

    code, out = _cli(story, "blocklist", "check", drop_url)
    story.expect(
        "`blocklist check` says what the feed would ban", code == 0 and "would ban 4" in out
    )

    _tick(story, cloud, "the schedule runs the importer")
    bans = _bans(cloud)
    story.step(f"WAF ban sets hold {len(bans)} entries, e.g. {sorted(bans)[:4]}")
    story.expect(
        "the feeds' entries are in WAF after the first scheduled run",
        set(SAMPLE_DROP_V4) <= bans and "2a06:e480::/29" in bans,
    )

    hits = len(cloud.feeds.hits)
    report = _tick(story, cloud, "the next run sends If-None-Match")
    answers = [hit.status for hit in cloud.feeds.hits[hits:]]
    story.step(f"feed hosts answered {answers}")
    story.expect(
        "an unchanged feed costs one 304 per feed and no decision write",
        answers == [304, 304, 304] and report.get("decision_writes") == 0,
    )

    partner = SAMPLE_DROP_V4[1]
    _cli(story, "unblock", partner, "--reason", "a partner's network, false positive", "--local")
    cloud.feeds.routes["/drop_v4.json"] = Route(
        drop_json([*SAMPLE_DROP_V4, NEW_ENTRY]), "application/json"
    )
    _tick(story, cloud, "Spamhaus adds a network; the importer runs")
    bans = _bans(cloud)
    story.expect(
        "the new entry is banned, the unblocked one is not banned again",
        NEW_ENTRY in bans and partner not in bans,
    )
    code, listing = _cli(story, "decisions", "--local")
    story.expect(
        "`edgeguard decisions` lists the operator's exception, with who and why",
        "exceptions (" in listing and "false positive" in listing,
    )

    before = len(cloud.telegram_messages)
    cloud.feeds.routes["/drop_v4.json"] = Route(b"", fault="html")
    story.step("the DROP host starts answering with an HTML error page, status 200")
    _tick(story, cloud, "the importer runs")
    _tick(story, cloud, "and runs again")
    sent = cloud.telegram_messages[before:]
    for message in sent:
        story.step("Telegram shows: " + str(message["text"]).splitlines()[0])
    story.expect(
        "the page is rejected whole: the entries stay in WAF, the team is told once",
        set(SAMPLE_DROP_V4) - {partner} <= _bans(cloud)
        and len(sent) == 1
        and "rejected" in str(sent[0]["text"]),
    )
