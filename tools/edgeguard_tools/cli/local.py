"""``edgeguard invoke FUNCTION --event events/x.json``: one function in a fresh local cloud.

The ``sam local invoke`` that needs no Docker: the template's resources are created
in moto, the function runs in process with its resolved environment, and what it
returned is printed as JSON on stdout (its own logs go to stderr). The exit code is
1 when the function raised, with Lambda's error shape on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "invoke",
        help="run one function of template.yaml locally (no AWS account, no Docker)",
        description=__doc__,
    )
    parser.add_argument("function", metavar="FUNCTION_LOGICAL_ID", help="e.g. NotifierFunction")
    parser.add_argument(
        "--event", "-e", required=True, help="event file (events/x.json, or a name in events/)"
    )
    parser.add_argument(
        "--param",
        "-p",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="template parameter override (repeatable)",
    )
    parser.add_argument(
        "--template", "-t", help="template file (default: the repo's template.yaml)"
    )
    parser.set_defaults(run=run)


def _parameters(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"edgeguard invoke: --param takes KEY=VALUE, got {pair!r}")
        out[key] = value
    return out


def run(args: argparse.Namespace) -> int:
    # moto intercepts every call; these only make sure nothing could sign for a real account
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ[key] = "testing"
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.pop("AWS_PROFILE", None)
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

    from edgeguard_tools.events import load_event  # noqa: PLC0415 - keep `edgeguard --help` fast
    from edgeguard_tools.local.cloud import LocalCloud  # noqa: PLC0415 - moto only when invoked
    from edgeguard_tools.local.template import TemplateError  # noqa: PLC0415

    try:
        event = load_event(args.event)
    except (OSError, ValueError) as error:
        print(f"edgeguard invoke: cannot read the event {args.event}: {error}", file=sys.stderr)
        return 2
    out = sys.stdout  # the result goes here; the function's own output goes to stderr
    try:
        parameters = _parameters(args.param)
        with (
            LocalCloud(
                parameters, template=Path(args.template) if args.template else None
            ) as cloud,
            redirect_stdout(sys.stderr),
        ):
            functions = [k for k in cloud.physical if cloud.kind_of(k) == "function"]
            if args.function not in functions:
                print(
                    f"edgeguard invoke: {args.function} is not a function of the template; "
                    f"functions: {', '.join(sorted(functions))}",
                    file=sys.stderr,
                )
                return 2
            try:
                result = cloud.invoke(args.function, event)
            except Exception as error:
                failure = {"errorType": type(error).__name__, "errorMessage": str(error)}
                print(json.dumps(failure, indent=2), file=out)
                return 1
    except TemplateError as error:
        print(f"edgeguard invoke: {error}", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=2, default=str))
    return 0
