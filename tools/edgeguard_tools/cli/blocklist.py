"""``edgeguard blocklist check|exceptions|reinstate``: blocklist feeds from the command line.

``check URL|FILE``: what a feed would ban, what is refused and why, offline (a file) or
online (a URL, downloaded as the importer does: time and size limits, https only
except 127.0.0.1). The same code as the importer judges it (``edgeguard.blocklist``), so
the answer is the deployed answer (exceptions aside: they live in the stack).

``exceptions`` lists the feed entries an operator unblocked (``edgeguard unblock``),
``reinstate VALUE`` removes one: the feed may ban it again at its next change or renewal.

Exit codes: 0 done, 1 operational failure (download failed, AWS), 2 bad input (no such
file, unknown format, a body the importer would reject: HTML, truncated, empty).
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from edgeguard.blocklist.feeds import DEFAULT_FEEDS, WIDEST_V4, WIDEST_V6, Feed
from edgeguard.blocklist.fetch import Fetcher, FetchError
from edgeguard.blocklist.formats import FORMATS, FeedFormatError, guess_format
from edgeguard.blocklist.safety import Verdict, evaluate
from edgeguard.config import ConfigError
from edgeguard.decisions import BanPolicy, InvalidValue
from edgeguard.waf.aggregate import aggregate

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
SHOWN = 50


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "blocklist",
        help="blocklist feeds: check a feed, list or remove operator exceptions",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="blocklist_command", required=True, metavar="ACTION")
    check = actions.add_parser("check", help="what a feed (URL or file) would ban and refuse")
    check.add_argument("source", metavar="URL|FILE")
    check.add_argument(
        "--format", dest="fmt", choices=sorted(FORMATS), help="default: recognised from content"
    )
    check.add_argument("--max-width-v4", type=int, default=WIDEST_V4, metavar="PREFIX")
    check.add_argument("--max-width-v6", type=int, default=WIDEST_V6, metavar="PREFIX")
    check.add_argument(
        "--allow", action="append", default=[], metavar="CIDR", help="an allowlisted range"
    )
    check.add_argument("--json", action="store_true", help="machine-readable output")
    check.set_defaults(run=run_check)

    from edgeguard_tools.cli.breaker import target_options  # noqa: PLC0415

    listing = actions.add_parser(
        "exceptions", parents=[target_options()], help="feed entries an operator unblocked"
    )
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.set_defaults(run=run_exceptions)
    reinstate = actions.add_parser(
        "reinstate", parents=[target_options()], help="remove an operator's exception"
    )
    reinstate.add_argument("value", metavar="IP|CIDR")
    reinstate.add_argument("--reason", default="", help="why (announced)")
    reinstate.set_defaults(run=run_reinstate)


def _body(source: str) -> bytes:
    if source.startswith(("http://", "https://")):
        from edgeguard.blocklist.feeds import check_url  # noqa: PLC0415

        check_url(source, "check")
        download = Fetcher().fetch(source)
        return download.body
    return Path(source).read_bytes()


def _format_of(source: str, body: bytes, chosen: str | None) -> str:
    if chosen:
        return chosen
    known = {feed.url: feed.format for feed in DEFAULT_FEEDS}
    return known.get(source) or guess_format(body)


def run_check(args: argparse.Namespace) -> int:
    try:
        policy = BanPolicy.from_cidrs(args.allow)
    except ValueError as error:
        print(f"refused: --allow: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        body = _body(args.source)
    except FetchError as error:
        print(f"error: {args.source}: {error}", file=sys.stderr)
        return EXIT_FAILED
    except (OSError, ValueError, ConfigError) as error:
        print(f"refused: {args.source}: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    fmt = _format_of(args.source, body, args.fmt)
    feed = Feed(
        "check", args.source, fmt, max_width_v4=args.max_width_v4, max_width_v6=args.max_width_v6
    )
    try:
        verdict = evaluate(body, feed, policy)
    except FeedFormatError as error:
        print(f"rejected ({fmt}): {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.json:
        print(json.dumps(_as_json(verdict, fmt), indent=2))
    else:
        print(render(verdict, fmt))
    return EXIT_OK


def _cost(verdict: Verdict) -> dict[int, int]:
    """IP set entries per IP version once the enforcer aggregates the accepted entries."""
    networks = [ipaddress.ip_network(c) for c in verdict.accepted]
    return {v: len(aggregate([n for n in networks if n.version == v], version=v)) for v in (4, 6)}


def _as_json(verdict: Verdict, fmt: str) -> dict[str, Any]:
    cost = _cost(verdict)
    return {
        "format": fmt,
        "listed": verdict.listed,
        "would_ban": verdict.accepted,
        "ip_set_entries": {"ipv4": cost[4], "ipv6": cost[6]},
        "refused": [{"entry": entry, "why": why} for entry, why in verdict.refused],
        "unreadable_lines": verdict.unreadable,
        "unreadable_examples": verdict.problems,
    }


def render(verdict: Verdict, fmt: str) -> str:
    """Text for a terminal: counts, the IP set cost, then the refusals and unreadable lines."""
    cost = _cost(verdict)
    v4 = sum(":" not in c for c in verdict.accepted)
    lines = [
        f"format {fmt}: {verdict.listed} entries listed",
        f"would ban {len(verdict.accepted)} ({v4} IPv4, {len(verdict.accepted) - v4} IPv6): "
        f"{cost[4]} IPv4 and {cost[6]} IPv6 IP set entries after aggregation",
    ]
    lines += [f"  ban {c}" for c in verdict.accepted[:SHOWN]]
    if len(verdict.accepted) > SHOWN:
        lines.append(f"  ... {len(verdict.accepted) - SHOWN} more (--json lists all)")
    lines.append(f"refused {len(verdict.refused)}" + (":" if verdict.refused else ""))
    lines += [f"  {entry}: {why}" for entry, why in verdict.refused]
    if verdict.unreadable:
        lines.append(f"unreadable lines {verdict.unreadable}:")
        lines += [f"  {p}" for p in verdict.problems]
    return "\n".join(lines)


def run_exceptions(args: argparse.Namespace) -> int:
    from edgeguard_tools.cli.breaker import guarded, open_breaker  # noqa: PLC0415

    def act(args: argparse.Namespace, scope: ExitStack) -> int:
        exceptions = open_breaker(args, scope).exceptions()
        if args.json:
            print(json.dumps([exception_json(e) for e in exceptions], indent=2))
        else:
            print(render_exceptions(exceptions))
        return EXIT_OK

    return guarded(act, args)


def run_reinstate(args: argparse.Namespace) -> int:
    from edgeguard_tools.cli.breaker import guarded, open_breaker  # noqa: PLC0415

    def act(args: argparse.Namespace, scope: ExitStack) -> int:
        change = open_breaker(args, scope).reinstate(args.value, reason=args.reason)
        if change.status == "reinstated":
            print(
                f"{change.value}: exception removed; its feed bans it again at its next "
                "change or lease renewal while it lists it"
            )
        else:
            print(f"{change.value} has no exception; nothing to remove")
        return EXIT_OK

    return guarded(act, args)


def exception_json(exception: Any) -> dict[str, Any]:
    return {
        "value": exception.value,
        "origin": exception.origin,
        "by": exception.who,
        "why": exception.why,
        "since": exception.created_at.isoformat(),
        "details": exception.details,
    }


def render_exceptions(exceptions: list[Any]) -> str:
    """A plain-text table of operator exceptions."""
    if not exceptions:
        return "no exceptions"
    rows = [("VALUE", "ORIGIN", "SINCE (UTC)", "BY", "WHY")]
    rows += [
        (
            e.value,
            e.origin,
            f"{e.created_at:%Y-%m-%d %H:%M}",
            e.who.rsplit("/", 1)[-1][:24],
            e.why[:60],
        )
        for e in exceptions
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


__all__ = ["InvalidValue", "register"]
