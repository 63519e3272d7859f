"""``edgeguard selftest --stack NAME`` (or ``--local``): safe checks of a deployed stack.

Prints ``ok  <check>`` or ``FAIL <check>: <problem>. Fix: <what to do>`` for each of
origin-closed, test-ban, alerts and rotation (edgeguard_tools.selftest). Exit codes: 0
every check ok, 1 a check failed or the stack cannot be read.
With ``--local`` the checks run against the local cloud running in this process (one is
started for the command when none runs): the origin stand-in on 127.0.0.1, reached with
the distribution's own origin headers, stands for the site, and a closed port on
127.0.0.1 for the ALB.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
from contextlib import ExitStack
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "selftest",
        help="check a deployed stack: origin closed, a test ban, alerts, rotation",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--stack",
        "--stack-name",
        dest="stack",
        default=os.environ.get("EDGEGUARD_STACK", "edgeguard"),
        help="CloudFormation stack (default: $EDGEGUARD_STACK or 'edgeguard')",
    )
    parser.add_argument("--region", default=os.environ.get("AWS_REGION"), help="AWS region")
    parser.add_argument("--profile", default=None, help="AWS CLI profile")
    parser.add_argument("--local", action="store_true", help="check the local cloud instead of AWS")
    parser.set_defaults(run=run)


def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def local_edge(cloud: Any, facts: Any) -> Any:
    """The local cloud's edge: the origin stand-in, asked with the headers the
    distribution sends its origin (X-Origin-Verify), and a closed port for the ALB."""
    from edgeguard_tools.selftest import Edge  # noqa: PLC0415

    config = cloud.client("cloudfront").get_distribution_config(Id=facts.outputs["DistributionId"])[
        "DistributionConfig"
    ]
    headers = {
        h["HeaderName"]: h["HeaderValue"]
        for origin in config["Origins"]["Items"]
        for h in (origin.get("CustomHeaders") or {}).get("Items", [])
    }
    path = facts.parameters.get("HealthCheckPath") or "/"
    return Edge("127.0.0.1", closed_port(), cloud.origin_url.rstrip("/") + path, headers)


def run(args: argparse.Namespace) -> int:
    import boto3  # noqa: PLC0415 - only when the command runs
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

    from edgeguard.breaker.service import CircuitBreaker  # noqa: PLC0415
    from edgeguard_tools import backends  # noqa: PLC0415
    from edgeguard_tools.selftest import StackFacts, run_checks  # noqa: PLC0415

    with ExitStack() as scope:
        edge = None
        cloud = None
        if args.local:
            cloud = backends.running_local_cloud()
            if cloud is None:
                from edgeguard_tools.local.cloud import LocalCloud  # noqa: PLC0415

                cloud = scope.enter_context(LocalCloud(quiet=True))
        region = "us-east-1" if args.local else (args.region or "us-east-1")
        try:
            session = boto3.Session(
                profile_name=None if args.local else args.profile, region_name=region
            )
            facts = StackFacts.read(session.client("cloudformation"), args.stack)
            breaker = CircuitBreaker(
                backends.stack_backend(args.stack, region, None, session=session)
            )
            if cloud is not None:
                edge = local_edge(cloud, facts)
        except (BotoCoreError, ClientError, backends.BackendError, KeyError) as error:
            print(f"edgeguard selftest: cannot read stack {args.stack!r}: {error}", file=sys.stderr)
            return 1
        results = run_checks(session, facts, breaker, edge=edge)
    failed = [r for r in results if not r.ok]
    print(f"{len(results) - len(failed)}/{len(results)} checks ok")
    return 1 if failed else 0
