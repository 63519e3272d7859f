"""``edgeguard hunt``: the detection scenarios as SQL over months of logs, on Athena or locally.

``--stack NAME`` runs the query on Amazon Athena in the stack's hunt workgroup over its
Glue tables (the CloudFront table the stack writes, legacy or v2, and the WAF table
when WAF logs go to S3), with the stack's LogDetectionOverrides; ``--local DIR`` runs
the same SQL, transpiled, on DuckDB over log files (legacy CloudFront, v2 Parquet,
ALB). One line per finding on stdout (``--json``: one object per line): ``burst``
when the leaky bucket overflowed (what the analyzer decides), ``slow`` when a payload
scenario saw more events than its capacity in the window while the bucket drained
them. The summary (bytes scanned and what they cost on Athena) goes to stderr.
``--record`` records the findings as decisions (origin ``hunt``): in the stack's table,
or, locally, in the local cloud running in this process (else only shown).

Exit codes: 0 the hunt ran (findings or not); 1 operational failure (Athena failed or
cancelled the query, the stack cannot be used, DuckDB failed); 2 bad input (a bad
window, scenario or overrides file, nothing readable under DIR).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "hunt",
        help="run the detection scenarios as SQL over a long window (Athena, or DuckDB locally)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--stack", metavar="NAME", help="hunt on Athena in this deployed stack")
    # dest local_dir: ``args.local`` is the CLI's "forward to the local cloud" switch.
    where.add_argument(
        "--local", metavar="DIR", type=Path, dest="local_dir", help="hunt log files on DuckDB"
    )
    window = parser.add_argument_group("window (default: the last 24 hours)")
    window.add_argument("--since", default="", metavar="AGE", help="e.g. 30d, 12h (up to now)")
    window.add_argument("--from", dest="start", default="", metavar="ISO", help="start (UTC)")
    window.add_argument("--until", default="", metavar="ISO", help="end (UTC, default now)")
    parser.add_argument(
        "--scenario", action="append", default=None, metavar="NAME", help="only this scenario"
    )
    parser.add_argument("--record", action="store_true", help="record findings as decisions")
    parser.add_argument("--json", action="store_true", help="one JSON object per finding")
    parser.add_argument("--show-sql", action="store_true", help="print the SQL to stderr")
    parser.add_argument(
        "--config", type=Path, help="JSON scenario overrides (default: the stack's, or none)"
    )
    parser.add_argument("--region", default=os.environ.get("AWS_REGION"), help="AWS region")
    parser.add_argument("--profile", default=None, help="AWS CLI profile")
    parser.set_defaults(run=run)


class BadInput(ValueError):
    """What the operator gave cannot be used (message for stderr, exit 2)."""


def window_of(args: argparse.Namespace, now: datetime) -> tuple[datetime, datetime]:
    """[start, end) from --since, or --from/--until (ISO 8601, UTC unless a zone is given)."""
    from edgeguard.breaker.service import parse_duration  # noqa: PLC0415
    from edgeguard.decisions import InvalidValue  # noqa: PLC0415

    def instant(text: str, name: str) -> datetime:
        try:
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise BadInput(f"{name} {text!r} is not an ISO 8601 time") from None
        return value if value.tzinfo else value.replace(tzinfo=UTC)

    if args.since and args.start:
        raise BadInput("give --since or --from, not both")
    end = instant(args.until, "--until") if args.until else now
    if args.start:
        start = instant(args.start, "--from")
    else:
        try:
            age = parse_duration(args.since) if args.since else timedelta(hours=24)
        except InvalidValue as error:
            raise BadInput(str(error)) from None
        start = end - age
    if end <= start:
        raise BadInput("the window is empty: --until must be after the start")
    return start, end


def _settings(args: argparse.Namespace, stack_overrides: str = "") -> Any:
    from edgeguard.logs.settings import DetectionSettings, SettingsError  # noqa: PLC0415

    try:
        text = args.config.read_text() if args.config else stack_overrides
        return DetectionSettings.from_json(text)
    except (OSError, SettingsError) as error:
        raise BadInput(f"overrides: {error}") from None


def _line(finding: Any, as_json: bool, status: str = "") -> str:
    if as_json:
        record = {
            "kind": finding.kind,
            "value": finding.client,
            "scenario": finding.scenario,
            "source": finding.source,
            "events": finding.events,
            "first_seen": finding.first_seen.isoformat(),
            "last_seen": finding.last_seen.isoformat(),
            "decided_at": finding.decided_at.isoformat(),
            "peak": round(finding.peak, 3),
            "sample": finding.sample,
        }
        if status:
            record["status"] = status
        return json.dumps(record)
    text = (
        f"{finding.kind} {finding.client} {finding.scenario} events={finding.events} "
        f"first_seen={finding.first_seen:%Y-%m-%dT%H:%M:%SZ} "
        f"last_seen={finding.last_seen:%Y-%m-%dT%H:%M:%SZ} "
        f"decided_at={finding.decided_at:%Y-%m-%dT%H:%M:%SZ} source={finding.source}"
    )
    return text + (f" recorded={status}" if status else "") + f" sample={finding.sample}"


def _print(findings: list[Any], statuses: list[str], as_json: bool) -> None:
    for index, finding in enumerate(findings):
        print(_line(finding, as_json, statuses[index] if statuses else ""))
    sys.stdout.flush()


def _counts(findings: list[Any]) -> str:
    slow = sum(1 for f in findings if f.kind == "slow")
    clients = len({f.client for f in findings})
    return (
        f"{len(findings)} finding(s) ({len(findings) - slow} burst, {slow} slow), "
        f"{clients} client(s)"
    )


def run(args: argparse.Namespace) -> int:
    try:
        start, end = window_of(args, datetime.now(UTC))
        if args.local_dir:
            return _run_local(args, start, end)
        return _run_stack(args, start, end)
    except BadInput as error:
        print(f"edgeguard hunt: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _local_sink() -> tuple[Any, str]:
    from edgeguard.decisions import MemoryStore  # noqa: PLC0415
    from edgeguard_tools import backends  # noqa: PLC0415

    cloud = backends.running_local_cloud()
    if cloud is not None:
        return backends.cloud_backend(cloud).store, "the local cloud's decisions table"
    return MemoryStore(), "memory only (no local cloud running in this process: not stored)"


def _run_local(args: argparse.Namespace, start: datetime, end: datetime) -> int:
    from edgeguard.hunt.athena import cost_usd  # noqa: PLC0415
    from edgeguard.hunt.findings import ResultError, findings_from_rows  # noqa: PLC0415
    from edgeguard.hunt.service import record_findings  # noqa: PLC0415
    from edgeguard.hunt.sql import QueryError  # noqa: PLC0415
    from edgeguard_tools.hunt_local import LocalHuntError, classify, run_local  # noqa: PLC0415

    if not args.local_dir.is_dir():
        raise BadInput(f"{args.local_dir} is not a directory")
    settings = _settings(args)
    if not classify(args.local_dir).by_role:
        raise BadInput(f"no CloudFront (legacy or v2 Parquet) or ALB log under {args.local_dir}")
    try:
        result = run_local(args.local_dir, settings, start=start, end=end, scenarios=args.scenario)
        findings = findings_from_rows(result.rows)
    except QueryError as error:
        raise BadInput(str(error)) from None
    except (LocalHuntError, ResultError) as error:
        print(f"edgeguard hunt: {error}", file=sys.stderr)
        return EXIT_FAILED
    if args.show_sql:
        print(result.sql, file=sys.stderr)
    statuses: list[str] = []
    where = ""
    if args.record:
        sink, where = _local_sink()
        statuses = [o.status for _, o in record_findings(findings, settings, sink)]
    _print(findings, statuses, args.json)
    for path, why in result.files.not_read:
        print(f"edgeguard hunt: {path}: not read: {why}", file=sys.stderr)
    scanned = result.files.bytes
    print(
        f"hunt --local {start:%Y-%m-%dT%H:%MZ}..{end:%Y-%m-%dT%H:%MZ}: "
        f"{sum(len(p) for p in result.files.by_role.values())} file(s), {scanned:,} bytes read "
        f"in {result.seconds:.2f} s; {_counts(findings)}"
        f"{f'; recorded in {where}' if args.record else ''}; on Athena, scanning these "
        f"bytes costs {cost_usd(scanned):.6f} USD (5 USD per TB, 10 MB minimum)",
        file=sys.stderr,
    )
    if not findings and scanned:
        print(
            f"edgeguard hunt: no finding between {start:%Y-%m-%d %H:%M} and {end:%Y-%m-%d %H:%M} "
            "UTC; lines outside that window are not counted (widen it with --since, e.g. "
            "--since 30d)",
            file=sys.stderr,
        )
    return EXIT_OK


def _run_stack(args: argparse.Namespace, start: datetime, end: datetime) -> int:
    import boto3  # noqa: PLC0415
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

    from edgeguard.hunt.athena import HuntFailed  # noqa: PLC0415
    from edgeguard.hunt.findings import ResultError  # noqa: PLC0415
    from edgeguard.hunt.service import record_findings, run_hunt  # noqa: PLC0415
    from edgeguard.hunt.sql import QueryError  # noqa: PLC0415
    from edgeguard_tools.backends import BackendError, stack_backend  # noqa: PLC0415

    try:
        session = boto3.Session(profile_name=args.profile, region_name=args.region or "us-east-1")
        hunt, overrides = stack_hunt_settings(session, args.stack)
        hunt = type(hunt)(**{**hunt.__dict__, "detection": _settings(args, overrides)})
        report = run_hunt(session.client("athena"), hunt, start, end, scenarios=args.scenario)
        statuses: list[str] = []
        if args.record:
            store = stack_backend(args.stack, args.region, args.profile, session=session).store
            statuses = [
                o.status for _, o in record_findings(report.findings, hunt.detection, store)
            ]
    except QueryError as error:
        raise BadInput(str(error)) from None
    except (HuntFailed, ResultError, BackendError) as error:
        print(f"edgeguard hunt: {error}", file=sys.stderr)
        return EXIT_FAILED
    except (BotoCoreError, ClientError) as error:
        print(f"edgeguard hunt: AWS: {error}", file=sys.stderr)
        return EXIT_FAILED
    if args.show_sql:
        print(report.sql, file=sys.stderr)
    _print(report.findings, statuses, args.json)
    print(
        f"hunt on Athena {start:%Y-%m-%dT%H:%MZ}..{end:%Y-%m-%dT%H:%MZ} "
        f"(query {report.execution_id}, workgroup {hunt.workgroup}): "
        f"{report.bytes_scanned:,} bytes scanned, {report.cost_usd:.6f} USD; "
        f"{_counts(report.findings)}{'; recorded in the stack' if args.record else ''}",
        file=sys.stderr,
    )
    return EXIT_OK


def stack_hunt_settings(session: Any, stack_name: str) -> tuple[Any, str]:
    """The hunt settings of a deployed stack (its outputs and parameters) and its
    LogDetectionOverrides text.

    Tables: the CloudFront table the stack writes (``CloudFrontStandardLogging``: v2 or
    legacy) and the WAF table when ``WafLogDestination`` is S3; ALB logs are not judged
    behind CloudFront (their client is an edge server), as in the analyzer.

    Raises BackendError: no such stack, or it has no hunt outputs.
    """
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

    from edgeguard.hunt.service import HuntSettings  # noqa: PLC0415
    from edgeguard_tools.backends import BackendError  # noqa: PLC0415

    try:
        stack = session.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"][0]
    except (BotoCoreError, ClientError) as error:
        raise BackendError(f"cannot use stack {stack_name!r}: {error}") from None
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    parameters = {
        p["ParameterKey"]: p.get("ParameterValue", "") for p in stack.get("Parameters", [])
    }
    missing = [k for k in ("HuntWorkGroupName", "HuntDatabaseName") if not outputs.get(k)]
    if missing:
        raise BackendError(
            f"stack {stack_name!r} has no output {', '.join(missing)}: deploy an edgeguard "
            "version with hunts (issue 18)"
        )
    legacy = parameters.get("CloudFrontStandardLogging", "v2") == "legacy"
    tables = (
        {"cloudfront_legacy": "cloudfront_legacy"} if legacy else {"cloudfront_v2": "cloudfront_v2"}
    )
    if parameters.get("WafLogDestination", "S3") == "S3":
        tables["waf"] = "waf"
    settings = HuntSettings(
        workgroup=outputs["HuntWorkGroupName"], database=outputs["HuntDatabaseName"], tables=tables
    )
    return settings, parameters.get("LogDetectionOverrides", "")
