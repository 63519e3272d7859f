"""``edgeguard demo``: run every chapter, print a summary, exit non-zero on any miss."""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from typing import Any

from edgeguard_tools.demo.story import Story

# Every capability's chapter, in story order. A chapter is a module with
# TITLE and run(story); none is skipped silently: a crash counts as a failure.
CHAPTERS = (
    "edgeguard_tools.demo.alerting",
    "edgeguard_tools.demo.logs",
    "edgeguard_tools.demo.breaker",
    "edgeguard_tools.demo.auto_blocking",
    "edgeguard_tools.demo.response",
    "edgeguard_tools.demo.origin_rotation",
    "edgeguard_tools.demo.telegram",
    "edgeguard_tools.demo.blocklist",  # last: it starts its cloud with a 5-minute schedule
)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("demo", help="tell the whole story on this machine")
    names = ", ".join(name.rsplit(".", 1)[1] for name in CHAPTERS)
    parser.add_argument(
        "--only", metavar="CHAPTER", help=f"run only the chapters whose name contains this: {names}"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run the chapters (all, or those ``--only`` names); 0 when every expectation was met,
    1 when one was not, 2 when ``--only`` names no chapter."""
    if args.only and not any(args.only in name for name in CHAPTERS):
        names = ", ".join(name.rsplit(".", 1)[1] for name in CHAPTERS)
        print(
            f"edgeguard demo: no chapter matches {args.only!r}; chapters: {names}", file=sys.stderr
        )
        return 2
    story = Story()
    try:
        for name in CHAPTERS:
            if args.only and args.only not in name:
                continue
            module = importlib.import_module(name)
            story.begin(module.TITLE)
            try:
                module.run(story)
            except Exception as error:  # a broken chapter is a failed expectation, not a crash
                traceback.print_exc()
                story.expect("chapter ran to the end", False, f"{type(error).__name__}: {error}")
    finally:
        # Imported here: the local cloud pulls in moto and boto3 (0.6 s), which every
        # other `edgeguard` command would otherwise pay for at start-up.
        from edgeguard_tools.demo.localcloud import close as close_local_cloud  # noqa: PLC0415

        close_local_cloud()
    print("\n" + story.summary())
    return 1 if story.failed or not story.checks else 0
