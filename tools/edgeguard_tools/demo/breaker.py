"""Demo chapter: the circuit breaker and the enforcer, through the local cloud.

An operator blocks an address and a tenant with the real CLI (``edgeguard ... --local``);
the decisions land in the table, the alerts reach Telegram, the ipset_sync function
puts them into the WAF sets. Unblocking lifts them; a ban that expires leaves WAF at
the next one-minute tick although DynamoDB's TTL has not deleted it; an address put
into a managed set by hand is removed, because the table is the truth.
"""

from __future__ import annotations

import contextlib
import io
import re
from typing import Any

from edgeguard.waf.service import EnforcerSettings
from edgeguard.waf.sets import SetRef
from edgeguard_tools.cli import main
from edgeguard_tools.demo.localcloud import local_cloud
from edgeguard_tools.demo.story import Story

TITLE = "Circuit breaker: block and lift addresses and tenants in WAF"


def _cli(story: Story, *argv: str) -> tuple[int, str]:
    story.step("$ edgeguard " + " ".join(argv))
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([*argv, "--local"])
    for line in (out.getvalue() + err.getvalue()).splitlines():
        story.step("  " + line)
    return code, out.getvalue()


class _Waf:
    def __init__(self, cloud: Any) -> None:
        self.cloud = cloud
        self.client = cloud.client("wafv2")
        self.env = cloud.function_environment("IpSetSyncFunction")

    def bans(self) -> list[str]:
        found: list[str] = []
        settings = EnforcerSettings.from_env(self.env)
        for ref in (*settings.ban_v4, *settings.ban_v6):
            found += self.client.get_ip_set(**ref.key())["IPSet"]["Addresses"]
        return sorted(found)

    def tenant_patterns(self) -> list[str]:
        ref = SetRef.from_arn(self.env["TENANT_PATTERN_SET"], "CLOUDFRONT")
        found = self.client.get_regex_pattern_set(**ref.key())["RegexPatternSet"]
        return [r["RegexString"] for r in found["RegularExpressionList"]]

    def add_by_hand(self, address: str) -> None:
        ref = SetRef.from_arn(self.env["BAN_IPV4_SET_1"], "CLOUDFRONT")
        current = self.client.get_ip_set(**ref.key())
        self.client.update_ip_set(
            **ref.key(),
            Addresses=[*current["IPSet"]["Addresses"], address],
            LockToken=current["LockToken"],
        )


def _blocked(patterns: list[str], path: str) -> bool:
    return any(re.search(p, path) for p in patterns)


def run(story: Story) -> None:
    cloud = local_cloud()
    waf = _Waf(cloud)
    before = len(cloud.telegram_messages)

    code, _ = _cli(story, "block", "203.0.113.7", "--for", "4h", "--reason", "credential stuffing")
    story.step(f"WAF ban sets hold: {waf.bans()}")
    story.expect(
        "an operator's block is in WAF at once", code == 0 and "203.0.113.7/32" in waf.bans()
    )

    code, _ = _cli(
        story, "tenant", "block", "acc-123", "--for", "1h", "--reason", "runaway integration"
    )
    patterns = waf.tenant_patterns()
    story.step(f"tenant pattern set holds: {patterns}")
    story.expect(
        "a tenant block matches its paths and no other tenant's",
        code == 0
        and _blocked(patterns, "/account/acc-123/orders")
        and not _blocked(patterns, "/account/acc-1234/orders"),
    )
    sent = cloud.telegram_messages[before:]
    for message in sent:
        story.step("Telegram shows: " + str(message["text"]).splitlines()[0])
    story.expect("both blocks were announced on Telegram, with who and why", len(sent) == 2)

    code, listing = _cli(story, "decisions")
    story.expect(
        "`edgeguard decisions` lists both", "203.0.113.7/32" in listing and "acc-123" in listing
    )

    code, _ = _cli(story, "tenant", "block", "Acc-123;DROP", "--for", "1h", "--reason", "typo")
    story.expect("a malformed tenant id is refused with exit code 2", code == 2)

    _cli(story, "tenant", "unblock", "acc-123", "--reason", "integration fixed")
    story.expect("unblocking the tenant empties the pattern set", waf.tenant_patterns() == ["^$"])
    _cli(story, "unblock", "203.0.113.7", "--reason", "customer's NAT, false positive")
    story.expect("unblocking the address removes it from WAF", "203.0.113.7/32" not in waf.bans())

    _cli(story, "block", "198.51.100.23", "--for", "5m", "--reason", "scanner")
    story.expect("a 5-minute ban is enforced", "198.51.100.23/32" in waf.bans())
    story.step("six minutes pass: the clock ticks, the one-minute schedule runs ipset_sync")
    cloud.tick(6)
    table = waf.env["DECISIONS_TABLE"]
    kept = cloud.client("dynamodb").get_item(
        TableName=table, Key={"value": {"S": "198.51.100.23/32"}, "action": {"S": "ban"}}
    )
    story.expect(
        "the expired ban left WAF although TTL has not deleted the item yet",
        "198.51.100.23/32" not in waf.bans() and "Item" in kept,
    )

    story.step("someone adds 192.0.2.66/32 to a managed ban set in the console")
    waf.add_by_hand("192.0.2.66/32")
    cloud.tick(1)
    story.expect(
        "the next tick removes the hand-made entry (the table is the truth)",
        "192.0.2.66/32" not in waf.bans(),
    )
