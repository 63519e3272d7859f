"""Demo chapter: an attacker's CloudFront log lands in the log bucket and becomes bans.

Through the local cloud: LogBucket's notification -> LogQueue -> the log-analyzer
function (its template environment) -> DecisionsTable -> alert -> Telegram stand-in.
Then ``edgeguard replay`` on the same file decides the same, offline.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from edgeguard_tools import log_samples as samples
from edgeguard_tools.demo.localcloud import local_cloud
from edgeguard_tools.demo.story import Story

TITLE = "Log-driven blocking: a CloudFront log file becomes ban decisions"
ATTACKER = "203.0.113.66"
OFFICE = "198.51.100.10"
KEY = "cloudfront/E2EXAMPLE1234.2026-11-20-14.4f8a3c21.gz"


def attack_log(start: datetime) -> bytes:
    """The attacker's sweep and SQL injection, in the middle of an office's busy hour."""
    line = samples.cloudfront_line
    lines = []
    probes = ["/.env", "/.git/config", "/.aws/credentials", "/backup.sql", "/wp-config.php.bak"]
    for i, path in enumerate(probes):
        lines.append(line(start + timedelta(seconds=i * 2), ATTACKER, path, 404))
    injections = [
        "id=1%27%20OR%20%271%27=%271",
        "id=1%20UNION%20SELECT%20null--",
        "id=1%20AND%20SLEEP(5)",
    ]
    for i, query in enumerate(injections):
        lines.append(line(start + timedelta(seconds=20 + i), ATTACKER, "/products", 200, query))
    for i in range(3000):  # an office behind one address, doing nothing wrong
        uri = ("/", "/dashboard", "/static/app.js", "/api/v2/me")[i % 4]
        status = 304 if uri.startswith("/static") else 200
        lines.append(line(start + timedelta(seconds=i * 0.5), OFFICE, uri, status))
    return samples.cloudfront_object(lines)


def run(story: Story) -> None:
    from edgeguard.decisions import MemoryStore  # noqa: PLC0415
    from edgeguard.logs.analyzer import Replay  # noqa: PLC0415

    body = attack_log(datetime(2026, 11, 20, 14, 0, tzinfo=UTC))
    cloud = local_cloud()
    before = len(cloud.telegram_messages)
    story.step(f"{ATTACKER} sweeps for /.env, /.git/config, backups and tries SQL injection;")
    story.step(f"{OFFICE} (an office NAT) browses all along: 3,000 requests, 304s included")
    story.step(f"CloudFront delivers {KEY} ({len(body):,} bytes gzip) to LogBucket")
    cloud.put_object("LogBucket", KEY, body)
    table = cloud.resource("DecisionsTable")
    items = cloud.client("dynamodb").scan(TableName=table)["Items"]
    found = {(i["value"]["S"], i["action"]["S"], i["origin"]["S"], i["reason"]["S"]) for i in items}
    for value, action, origin, reason in sorted(found):
        story.step(f"DecisionsTable: {action} {value} (origin {origin}, {reason})")
    story.expect(
        "the attacker is banned, origin log",
        any(v == f"{ATTACKER}/32" and a == "ban" and o == "log" for v, a, o, _ in found),
    )
    story.expect("the office NAT is not banned", all(v != f"{OFFICE}/32" for v, *_ in found))
    sent = [m["text"].splitlines()[0] for m in cloud.telegram_messages[before:]]
    for text in sent:
        story.step(f"Telegram shows: {text}")
    story.expect(
        "the team is told on Telegram", any("banned from cloudfront logs" in t for t in sent)
    )

    story.step("edgeguard replay: the same file, offline, no AWS")
    replay = Replay()
    replay.add_bytes(body)
    offline = {
        (o.result.decision.value, o.verdict.scenario)
        for o in replay.decide(MemoryStore())
        if o.result.decision
    }
    online = {(v, reason) for v, _, _, reason in found}
    # The store keeps one decision per (value, action): the longest ban's reason wins.
    story.expect(
        "replay bans the same clients",
        {v for v, _ in offline} == {v for v, _ in online},
        f"offline {sorted(offline)} vs online {sorted(online)}",
    )
