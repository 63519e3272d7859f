"""``edgeguard invoke FUNCTION --event events/x.json``: one function in a fresh local cloud
(or, with ``--local``, in the one ``edgeguard local up`` keeps running).

The ``sam local invoke`` that needs no Docker: the template's resources are created
in moto, the function runs in process with its resolved environment, and what it
returned is printed as JSON on stdout, nothing else: its logs (prints, Powertools' logs
and metrics) go to stderr. Before the call the event is fitted to the local cloud
(edgeguard_tools.invoke_prep: the resources it names exist, alarm times are now). The
exit code is 1 when the function raised, with Lambda's error shape on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from contextlib import ExitStack, redirect_stdout
from pathlib import Path
from typing import Any

TARGET_KINDS = ("function", "statemachine")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "invoke",
        help="run a function or state machine of template.yaml locally (no AWS, no Docker)",
        description=__doc__,
    )
    parser.add_argument(
        "function",
        metavar="LOGICAL_ID",
        help="a function (e.g. NotifierFunction) or a state machine (e.g. RespondStateMachine)",
    )
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
    parser.add_argument(
        "--local",
        action="store_true",
        help="run it in the local cloud `edgeguard local up` started (its state stays)",
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
    from edgeguard_tools.invoke_prep import prepare  # noqa: PLC0415
    from edgeguard_tools.local.template import TemplateError  # noqa: PLC0415

    try:
        event = load_event(args.event)
    except (OSError, ValueError) as error:
        print(f"edgeguard invoke: cannot read the event {args.event}: {error}", file=sys.stderr)
        return 2
    out = sys.stdout  # the result goes here; everything else goes to stderr
    try:
        with ExitStack() as scope:
            scope.enter_context(redirect_stdout(sys.stderr))
            cloud = _cloud(args, scope)
            if cloud is None:
                return 2
            targets = [k for k in cloud.physical if cloud.kind_of(k) in TARGET_KINDS]
            if args.function not in targets:
                print(
                    f"edgeguard invoke: {args.function} is not a function or state machine of "
                    f"the template; these are: {', '.join(sorted(targets))}",
                    file=sys.stderr,
                )
                return 2
            try:
                event = prepare(cloud, args.function, event, scope)
                result = _invoke(cloud, args.function, event)
            except Exception as error:
                failure = {"errorType": type(error).__name__, "errorMessage": str(error)}
                print(json.dumps(failure, indent=2), file=out)
                return 1
    except TemplateError as error:
        print(f"edgeguard invoke: {error}", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=2, default=str), file=out)
    return 0


def _cloud(args: argparse.Namespace, scope: ExitStack) -> Any:
    """The running cloud (``--local``) or a fresh one for this call; None: bad arguments."""
    from edgeguard_tools.local.cloud import LocalCloud  # noqa: PLC0415 - moto only when invoked

    if args.local:
        if args.param or args.template:
            print(
                "edgeguard invoke: --param and --template shape a fresh cloud; the running "
                "one keeps those it was started with (`edgeguard local up --param ...`)",
                file=sys.stderr,
            )
            return None
        return LocalCloud.running()
    from edgeguard_tools.invoke_prep import prepare_account  # noqa: PLC0415

    template = Path(args.template) if args.template else None
    parameters = _parameters(args.param)
    prepare_account(parameters, scope)
    # quiet while the template's resources are created (custom resources run functions):
    # stderr then holds the invoked function's own logs only
    return scope.enter_context(LocalCloud(parameters, template=template, quiet=True))


def _invoke(cloud: Any, target: str, event: Any) -> Any:
    """Run the function (its result) or the state machine (its output), with the logs of
    what runs shown on stderr, whatever the cloud's setting. ``ExecutionFailed``: the
    execution did not succeed."""
    quiet, cloud.quiet = cloud.quiet, False
    try:
        if cloud.kind_of(target) == "function":
            return cloud.invoke(target, event)
        execution = cloud.start_execution(target, event)
    finally:
        cloud.quiet = quiet
    if execution["status"] != "SUCCEEDED":
        raise ExecutionFailed(
            f"{execution['status']}: {execution.get('error', '')} {execution.get('cause', '')}"
        )
    return json.loads(execution.get("output") or "null")


class ExecutionFailed(RuntimeError):
    """A state machine execution ended other than SUCCEEDED."""
