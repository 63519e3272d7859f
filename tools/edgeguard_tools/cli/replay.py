"""``edgeguard replay``: whom would edgeguard have banned, given these log files? Offline.

Files or directories (searched recursively), gzip or plain, any of the three
formats (detected per file unless ``--format`` says). Decisions go to stdout,
one per line (``--json``: one object per line); counts and throughput to stderr,
with a progress bar when stderr is a terminal. A file that is recognised but is
not an access log (an ALB connection or health check log) is skipped with its
reason; requests the origin web ACL blocked for lack of the origin secret are an
alert naming each viewer, never a ban. Exit code 0 even when decisions are found;
2 when an input cannot be read: corrupt, of no known format, or with lines of
which none is readable (each such file is named with the reason).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any, TextIO

from edgeguard.decisions import MemoryStore


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "replay",
        help="run log detection on local CloudFront/ALB/WAF log files, offline",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="log files or directories")
    parser.add_argument(
        "--format", default="auto", choices=("auto", "cloudfront", "alb", "waf"), dest="fmt"
    )
    parser.add_argument(
        "--fields",
        default="",
        metavar="LIST",
        help="fields of headerless CloudFront v2 (Plain) files, in the delivery's order, "
        "separated by commas or spaces (default: AWS's full default list, canonical order)",
    )
    parser.add_argument(
        "--realtime-fields",
        default="",
        metavar="LIST",
        help="fields of CloudFront real-time log records, in the real-time log "
        "configuration's order (default: the configuration the template creates)",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per decision")
    parser.add_argument(
        "--report",
        type=Path,
        metavar="FILE.html",
        help="also write one self-contained HTML page: a summary, and per decision the "
        "client's chart and the lines that decided it (docs/report.md)",
    )
    parser.add_argument(
        "--config",
        type=Path,
        help="JSON file of scenario overrides (see docs/detection.md, Tuning)",
    )
    parser.add_argument(
        "--allow", action="append", default=[], metavar="CIDR", help="never ban this range"
    )
    stack = parser.add_argument_group(
        "the stack's decision settings (defaults: the template's; set them as deployed)"
    )
    stack.add_argument("--escalation-window-hours", type=float, default=24.0, metavar="H")
    stack.add_argument("--max-ban-hours", type=float, default=168.0, metavar="H")
    stack.add_argument("--ipv6-host-prefix", type=int, default=64, metavar="BITS")
    parser.set_defaults(run=run)


def files_of(paths: list[str]) -> Iterator[Path]:
    """Every regular file named or under a named directory, in a stable order."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from sorted(
                p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")
            )
        else:
            yield path


def _load(path: Path) -> bytes:
    return path.read_bytes()


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    files = list(files_of(args.paths))
    # Reading runs one file ahead in a thread: the first file is read while polars is
    # imported, the next while this one is parsed (polars inflates gzip as it parses).
    pool = ThreadPoolExecutor(max_workers=1)
    pending = pool.submit(_load, files[0]) if files else None
    from edgeguard.decisions import BanPolicy, Escalation  # noqa: PLC0415 - fast --help
    from edgeguard.logs.analyzer import Replay  # noqa: PLC0415
    from edgeguard.logs.cloudfront_v2 import FieldLists  # noqa: PLC0415
    from edgeguard.logs.reader import (  # noqa: PLC0415
        CorruptObject,
        UnknownFormat,
        UnreadableLog,
        read_log,
    )
    from edgeguard.logs.settings import DetectionSettings, SettingsError  # noqa: PLC0415

    try:
        settings = DetectionSettings.from_json(args.config.read_text() if args.config else None)
        policy = BanPolicy.from_cidrs(args.allow, ipv6_host_prefix=args.ipv6_host_prefix)
        escalation = Escalation.from_hours(args.escalation_window_hours, args.max_ban_hours)
        fields = FieldLists.parse(args.fields, args.realtime_fields)
    except (OSError, SettingsError, ValueError) as error:
        print(f"edgeguard replay: {error}", file=sys.stderr)
        pool.shutdown(cancel_futures=True)
        return 2
    total_bytes = sum(p.stat().st_size for p in files if p.exists())
    evidence = _evidence(settings) if args.report else None
    replay = Replay(settings, witness=evidence)
    progress = Progress(sys.stderr, total_bytes) if sys.stderr.isatty() else None
    unreadable: list[str] = []
    for index, path in enumerate(files):
        current = pending
        pending = pool.submit(_load, files[index + 1]) if index + 1 < len(files) else None
        try:
            assert current is not None
            parsed = read_log(current.result(), str(path), args.fmt, fields)
            if parsed.ignored:
                print(f"edgeguard replay: {path}: skipped: {parsed.ignored}", file=sys.stderr)
            replay.add(parsed)
            if evidence:
                evidence.count_clients(parsed.frame)
        except (OSError, CorruptObject, UnknownFormat, UnreadableLog) as error:
            unreadable.append(f"{path}: {error}")
            print(f"edgeguard replay: {path}: {error}", file=sys.stderr)
        if progress:
            progress.advance(path.stat().st_size if path.exists() else 0, replay.lines)
    pool.shutdown()
    if progress:
        progress.done()
    sink = MemoryStore(policy=policy, escalation=escalation)
    outcomes = replay.decide(sink)
    refused = _print_outcomes(outcomes, replay.bypass, args.json)
    failures = len(unreadable)
    if evidence and not _write_report(args.report, replay, evidence, outcomes, unreadable):
        return 1
    elapsed = time.perf_counter() - started
    rate = replay.lines / elapsed if elapsed > 0 else 0.0
    print(
        f"{replay.files} file(s), {replay.lines:,} lines, "
        f"{replay.lines - replay.skipped:,} parsed, "
        f"{replay.skipped:,} skipped; {len(outcomes) - refused} decision(s)"
        f"{f', {failures} file(s) unreadable' if failures else ''}"
        f"{f', {refused} refused (private/allowlisted)' if refused else ''}; "
        f"{elapsed:.2f} s, {rate:,.0f} lines/s",
        file=sys.stderr,
    )
    return 2 if failures else 0


def _print_outcomes(outcomes: list[Any], bypass: dict[str, int], as_json: bool) -> int:
    """Each decision, then each origin-bypass alert, on stdout; returns how many were refused."""
    refused = 0
    for outcome in outcomes:
        if outcome.result.decision is None:
            refused += 1
            continue
        print(_render(outcome, as_json), flush=False)
    for viewer, count in sorted(bypass.items()):
        print(
            f"alert origin-bypass {viewer}: {count} request(s) without the origin secret "
            "reached the ALB (the origin web ACL blocked them); not banned: the address "
            "WAF saw is a CloudFront edge server"
        )
    sys.stdout.flush()
    return refused


def _evidence(settings: Any) -> Any:
    from edgeguard_tools.report.evidence import Evidence  # noqa: PLC0415 - only with --report

    return Evidence(settings)


def _write_report(
    path: Path, replay: Any, evidence: Any, outcomes: list[Any], unreadable: list[str]
) -> bool:
    from edgeguard_tools.report.page import render  # noqa: PLC0415

    page = render(replay, evidence, outcomes, unreadable)
    try:
        path.write_text(page, encoding="utf-8")
    except OSError as error:
        print(f"edgeguard replay: cannot write the report: {error}", file=sys.stderr)
        return False
    print(f"report: {path} ({len(page.encode()):,} bytes)", file=sys.stderr)
    return True


def _render(outcome: Any, as_json: bool) -> str:
    decision, verdict = outcome.result.decision, outcome.verdict
    # A new ban for a client whose previous ban ended within the escalation window lasts
    # twice that ban (edgeguard.decisions.rules): say so, or "48h" reads like a bug.
    escalated = outcome.result.status == "created" and decision.strikes > 1
    status = "escalated" if escalated else outcome.result.status
    if as_json:
        return json.dumps(
            {
                "value": decision.value,
                "scope": decision.scope,
                "action": outcome.request.action,
                "scenario": verdict.scenario,
                "source": verdict.source,
                "events": verdict.events,
                "first_seen": verdict.first_seen.isoformat(),
                "last_seen": verdict.last_seen.isoformat(),
                "decided_at": verdict.overflow_at.isoformat(),
                "expires_at": decision.expires_at.isoformat(),
                "duration_seconds": int(decision.duration.total_seconds()),
                "strikes": decision.strikes,
                "status": status,
                "sample": outcome.request.details.get("sample", ""),
            }
        )
    return (
        f"{outcome.request.action} {decision.value} {verdict.scenario} events={verdict.events} "
        f"first_seen={verdict.first_seen:%Y-%m-%dT%H:%M:%SZ} "
        f"last_seen={verdict.last_seen:%Y-%m-%dT%H:%M:%SZ} "
        f"expires_at={decision.expires_at:%Y-%m-%dT%H:%M:%SZ} "
        f"duration={_hours(decision.duration)} strikes={decision.strikes} "
        f"status={status} source={verdict.source}"
    )


def _hours(duration: timedelta) -> str:
    """Hours to the minute (an extended ban runs from its first decision: 24.0039 h
    reads 24h)."""
    hours = round(duration.total_seconds() / 60) / 60
    return f"{hours:.2f}".rstrip("0").rstrip(".") + "h"


class Progress:
    """A one-line progress bar on stderr (bytes read, lines parsed)."""

    def __init__(self, stream: TextIO, total: int) -> None:
        self.stream, self.total, self.done_bytes = stream, max(total, 1), 0
        self.started = time.perf_counter()

    def advance(self, size: int, lines: int) -> None:
        self.done_bytes += size
        share = min(self.done_bytes / self.total, 1.0)
        bar = "#" * int(share * 30)
        rate = lines / max(time.perf_counter() - self.started, 1e-9)
        self.stream.write(f"\r[{bar:<30}] {share:4.0%} {lines:,} lines {rate:,.0f}/s")
        self.stream.flush()

    def done(self) -> None:
        self.stream.write("\n")
        self.stream.flush()
