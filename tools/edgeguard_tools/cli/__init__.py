"""The ``edgeguard`` command. Each command group lives in its own module and
registers itself here via ``register(subparsers)``; ``run(args)`` returns the exit code.

A ``--local`` command acts on the local cloud running in this process (tests, the demo)
or, when none does, runs inside the one ``edgeguard local up`` keeps in the background
(edgeguard_tools.localserver); with neither it says how to start one and exits 1."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Modules that contribute subcommands, in the order shown by --help.
COMMAND_MODULES = (
    "edgeguard_tools.cli.demo",
    "edgeguard_tools.cli.cloud",
    "edgeguard_tools.cli.local",
    "edgeguard_tools.cli.breaker",
    "edgeguard_tools.cli.findings",
    "edgeguard_tools.cli.replay",
    "edgeguard_tools.cli.selftest",
    "edgeguard_tools.cli.teardown",
    "edgeguard_tools.cli.blocklist",
    "edgeguard_tools.cli.telegram",
    "edgeguard_tools.cli.hunt",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="edgeguard",
        description="Security automation for a web app behind CloudFront, WAF and an ALB.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    for command in subparsers.choices.values():
        # descriptions are module docstrings: show ``code`` as `code` on a terminal
        if command.description:
            command.description = command.description.replace("``", "`")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    parser = build_parser()
    words = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(words)
    try:
        if getattr(args, "local", False) and not _cloud_in_process():
            from edgeguard_tools.localserver.client import forward  # noqa: PLC0415

            return forward(words)
        return int(args.run(args))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


def _cloud_in_process() -> bool:
    """Whether a LocalCloud runs in this process (without importing moto to find out)."""
    cloud = sys.modules.get("edgeguard_tools.local.cloud")
    return cloud is not None and cloud.LocalCloud.running() is not None


if __name__ == "__main__":
    sys.exit(main())
