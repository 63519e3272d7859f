"""What a feed's body would ban, what is refused and why, and whether to take it at all.

``evaluate`` turns a body into accepted entries (normalised CIDRs, deduplicated) and
refusals: the same refusals as every origin (``edgeguard.decisions.rules``: private,
reserved and CloudFront ranges, the operator's allowlist, wider than a blocklist may
ban) plus the feed's own widest prefix. ``shrink_refusal`` says when a list shrank
too much to be believed. ``edgeguard blocklist check`` prints exactly this.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from edgeguard.blocklist.feeds import Feed
from edgeguard.blocklist.formats import FeedFormatError, parse
from edgeguard.decisions import BanPolicy, InvalidValue, normalize_ip, too_wide


@dataclass
class Verdict:
    """A body judged: ``accepted`` (sorted unique CIDRs), ``refused`` ((entry, why) in
    feed order), ``listed`` (entries the feed listed), ``unreadable`` lines and the
    first few ``problems``."""

    accepted: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    listed: int = 0
    unreadable: int = 0
    problems: list[str] = field(default_factory=list)


def width_refusal(cidr: str, feed: Feed) -> str | None:
    """Why ``cidr`` is wider than ``feed`` may list (its max_width_v4/v6), or None."""
    network = ipaddress.ip_network(cidr)
    widest = feed.max_width_v4 if network.version == 4 else feed.max_width_v6
    if network.prefixlen < widest:
        return f"{cidr} is wider than /{widest}, the widest this feed ({feed.name}) may list"
    return None


def evaluate(body: bytes, feed: Feed, policy: BanPolicy) -> Verdict:
    """Parse ``body`` as ``feed.format`` and judge every entry.

    Raises:
        FeedFormatError: the body is not such a list as a whole (HTML, truncated, not
            text, ...; see ``formats.parse``), or it lists nothing at all.
    """
    parsed = parse(body, feed.format)
    verdict = Verdict(
        listed=len(parsed.entries), unreadable=parsed.unreadable, problems=parsed.problems
    )
    accepted: set[str] = set()
    for raw in parsed.entries:
        try:
            value, _ = normalize_ip(raw, policy.ipv6_host_prefix)
        except InvalidValue as error:
            verdict.refused.append((raw, str(error)))
            continue
        refusal = (
            policy.refusal(value) or too_wide(value, "blocklist") or width_refusal(value, feed)
        )
        if refusal:
            verdict.refused.append((raw, refusal))
        else:
            accepted.add(value)
    if not parsed.entries:
        raise FeedFormatError(
            f"the body lists no address ({parsed.unreadable} unreadable lines): empty or "
            "not this format"
        )
    verdict.accepted = sorted(
        accepted, key=lambda c: (ipaddress.ip_network(c).version, ipaddress.ip_network(c))
    )
    return verdict


def shrink_refusal(previous: int, now: int, max_shrink: float) -> str | None:
    """Why a list that went from ``previous`` to ``now`` accepted entries is not believed
    (it lost more than the fraction ``max_shrink`` of them), or None."""
    if previous <= 0 or now >= previous:
        return None
    lost = (previous - now) / previous
    if lost > max_shrink:
        return (
            f"shrank from {previous} to {now} entries ({lost:.0%} fewer, more than "
            f"BlocklistMaxShrinkPercent {max_shrink:.0%}): rejected, previous entries kept"
        )
    return None
