"""The ``edgeguard`` command. Each command group lives in its own module and
registers itself here via ``register(subparsers)``; ``run(args)`` returns the exit code."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Modules that contribute subcommands, in the order shown by --help.
COMMAND_MODULES = (
    "edgeguard_tools.cli.demo",
    "edgeguard_tools.cli.local",
    "edgeguard_tools.cli.breaker",
    "edgeguard_tools.cli.findings",
    "edgeguard_tools.cli.replay",
    "edgeguard_tools.cli.telegram",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="edgeguard",
        description="Security automation for a web app behind CloudFront, WAF and an ALB.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
