"""``edgeguard local up|status|down``: a local cloud that keeps running between commands.

``up`` starts template.yaml's stack on moto in a background process (state file:
``$EDGEGUARD_LOCAL_STATE``, else ``$XDG_RUNTIME_DIR/edgeguard/local.json``, else
``~/.cache/edgeguard/local.json``); every ``--local`` command then acts on it, and the AWS
CLI reaches it with ``--endpoint-url``. ``status`` says where it is and what it holds;
``down`` stops it (its state goes with it). See docs/local-cloud.md.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "local",
        help="start, inspect or stop a local cloud that keeps its state (no AWS account)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="local_action", required=True, metavar="ACTION")
    up = actions.add_parser("up", help="start it in the background")
    up.add_argument(
        "--port", type=int, default=0, help="port of the AWS endpoint (default: a free one)"
    )
    up.add_argument(
        "--param",
        "-p",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="template parameter (repeatable), e.g. EnableSecurityHubAction=true",
    )
    up.set_defaults(run=run_up)
    actions.add_parser("status", help="where it runs, since when, what it holds").set_defaults(
        run=run_status
    )
    actions.add_parser("down", help="stop it").set_defaults(run=run_down)


def run_up(args: argparse.Namespace) -> int:
    from edgeguard_tools.localserver import client  # noqa: PLC0415

    bad = [pair for pair in args.param if "=" not in pair or pair.startswith("=")]
    if bad:
        print(f"edgeguard local up: --param takes KEY=VALUE, got {bad[0]!r}", file=sys.stderr)
        return 2
    if not 0 <= args.port <= 65535:
        print(f"edgeguard local up: --port {args.port} is not a TCP port", file=sys.stderr)
        return 2
    return client.up(args.param, args.port)


def run_status(args: argparse.Namespace) -> int:
    from edgeguard_tools.localserver import client  # noqa: PLC0415

    return client.status()


def run_down(args: argparse.Namespace) -> int:
    from edgeguard_tools.localserver import client  # noqa: PLC0415

    return client.down()
