"""``edgeguard teardown --stack NAME [--keep-data]``: delete a stack and what it leaves behind.

``sam delete`` leaves the decisions table (DeletionPolicy Retain, fixed name: the next
deploy with the same Environment fails) and fails on log buckets that hold logs. This
empties the stack's buckets, deletes the stack, then deletes what CloudFormation
retained, and prints what it deleted and what it kept (edgeguard_tools.teardown).
``--local`` acts on the local cloud running in this process.
``--config-env ENV`` takes the stack name and region from samconfig.toml, as ``sam
deploy --config-env ENV`` does (``make delete ENV=prod``).
Exit codes: 0 done, 1 the stack is missing or could not be deleted (what is left, and
what to do, on stderr), 2 a samconfig environment that names no stack.
"""

from __future__ import annotations

import argparse
import os
import sys
import tomllib
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "teardown",
        help="delete a stack and the resources CloudFormation retains (make delete)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--stack",
        "--stack-name",
        dest="stack",
        default=None,
        help="CloudFormation stack (default: --config-env's, else $EDGEGUARD_STACK or 'edgeguard')",
    )
    parser.add_argument(
        "--config-env",
        default=None,
        metavar="ENV",
        help="take stack name and region from this environment of samconfig.toml (make delete)",
    )
    parser.add_argument(
        "--config-file", default="samconfig.toml", help="the samconfig file (--config-env)"
    )
    parser.add_argument("--region", default=os.environ.get("AWS_REGION"), help="AWS region")
    parser.add_argument("--profile", default=None, help="AWS CLI profile")
    parser.add_argument(
        "--keep-data",
        action="store_true",
        help="keep the decisions table and buckets that hold logs",
    )
    parser.add_argument(
        "--local", action="store_true", help="act on the local cloud running in this process"
    )
    parser.set_defaults(run=run)


def samconfig_target(path: str, env: str) -> tuple[str, str | None]:
    """(stack name, region) of ``env`` in a samconfig.toml: ``[<env>.global.parameters]``
    as sam reads it. ValueError when the file or the environment does not say."""
    try:
        with open(path, "rb") as file:
            config = tomllib.load(file)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ValueError(f"cannot read {path}: {error}") from None
    parameters = {
        **(config.get(env, {}).get("global", {}).get("parameters", {})),
        **(config.get(env, {}).get("deploy", {}).get("parameters", {})),
    }
    if not parameters.get("stack_name"):
        raise ValueError(f"{path} names no stack_name for environment {env!r}")
    return str(parameters["stack_name"]), parameters.get("region")


def run(args: argparse.Namespace) -> int:
    import boto3  # noqa: PLC0415 - only when the command runs
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

    from edgeguard_tools.backends import running_local_cloud  # noqa: PLC0415
    from edgeguard_tools.teardown import TeardownError, teardown  # noqa: PLC0415

    stack, region = args.stack, args.region
    if args.config_env:
        try:
            configured, configured_region = samconfig_target(args.config_file, args.config_env)
        except ValueError as error:
            print(f"edgeguard teardown: {error}", file=sys.stderr)
            return 2
        stack, region = stack or configured, region or configured_region
    stack = stack or os.environ.get("EDGEGUARD_STACK", "edgeguard")
    if args.local and running_local_cloud() is None:
        print(
            "edgeguard teardown: no local cloud runs in this process (start one with "
            "`edgeguard local up`)",
            file=sys.stderr,
        )
        return 1
    try:
        region = "us-east-1" if args.local else (region or "us-east-1")
        session = boto3.Session(
            profile_name=None if args.local else args.profile, region_name=region
        )
        teardown(session, stack, keep_data=args.keep_data)
    except TeardownError as error:
        print(f"edgeguard teardown: {error}", file=sys.stderr)
        return 1
    except (BotoCoreError, ClientError) as error:
        print(f"edgeguard teardown: {error}", file=sys.stderr)
        return 1
    return 0
