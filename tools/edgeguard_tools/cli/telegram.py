"""``edgeguard telegram setup``: register the webhook of two-way Telegram, rotating its
secret token (run after deploying with TelegramCommands=enabled, and to rotate).

Against a deployed stack (``--stack``/``--stack-name``, ``--region``, ``--profile``) or,
with ``--local``, the local cloud running in this process. Exit codes: 0 registered,
1 AWS, Telegram or stack problem (the message says what to fix). Nothing printed ever
holds the bot token or the secret token.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from edgeguard_tools.telegram_setup import Registration, SetupError, register_webhook

EXIT_OK, EXIT_FAILED = 0, 1
NEEDED_OUTPUTS = ("TelegramWebhookUrl", "TelegramWebhookSecretArn", "TelegramBotTokenSecretArn")


def register(subparsers: Any) -> None:
    telegram = subparsers.add_parser("telegram", help="two-way Telegram (commands, buttons)")
    actions = telegram.add_subparsers(dest="telegram_command", required=True, metavar="ACTION")
    setup = actions.add_parser(
        "setup", help="register the webhook with Telegram and rotate its secret token"
    )
    setup.add_argument(
        "--stack",
        "--stack-name",
        dest="stack_name",
        default=os.environ.get("EDGEGUARD_STACK", "edgeguard"),
        help="CloudFormation stack (default: $EDGEGUARD_STACK or 'edgeguard')",
    )
    setup.add_argument("--region", default=os.environ.get("AWS_REGION"), help="AWS region")
    setup.add_argument("--profile", default=None, help="AWS CLI profile")
    setup.add_argument(
        "--local", action="store_true", help="the local cloud running in this process"
    )
    setup.add_argument(
        "--drop-pending-updates",
        action="store_true",
        help="discard the updates Telegram holds for the bot (e.g. after a long outage)",
    )
    setup.set_defaults(run=run_setup)


def run_setup(args: argparse.Namespace) -> int:
    try:
        done = _setup_local(args) if args.local else _setup_stack(args)
    except SetupError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILED
    except Exception as error:  # AWS errors: what failed, no traceback (no secret in them)
        print(f"error: {type(error).__name__}: {error}", file=sys.stderr)
        return EXIT_FAILED
    print(
        f"webhook registered: {done.url}\n"
        f"new secret token stored (version {done.secret_version}); Telegram sends it with "
        "every update and the function refuses any request without it"
    )
    return EXIT_OK


def _setup_stack(args: argparse.Namespace) -> Registration:
    import boto3  # noqa: PLC0415 - only when a command runs

    session = boto3.Session(profile_name=args.profile, region_name=args.region or "us-east-1")
    stack = session.client("cloudformation").describe_stacks(StackName=args.stack_name)
    described = stack["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
    parameters = {
        p["ParameterKey"]: p.get("ParameterValue", "") for p in described.get("Parameters", [])
    }
    missing = [name for name in NEEDED_OUTPUTS if not outputs.get(name)]
    if missing:
        raise SetupError(
            f"stack {args.stack_name!r} has no output {', '.join(missing)}: deploy it with "
            "TelegramCommands=enabled first"
        )
    return register_webhook(
        session.client("secretsmanager"),
        token_secret_id=outputs["TelegramBotTokenSecretArn"],
        webhook_secret_id=outputs["TelegramWebhookSecretArn"],
        url=outputs["TelegramWebhookUrl"],
        api_base=parameters.get("TelegramApiBase") or "https://api.telegram.org",
        drop_pending_updates=args.drop_pending_updates,
    )


def _setup_local(args: argparse.Namespace) -> Registration:
    from edgeguard_tools.backends import running_local_cloud  # noqa: PLC0415

    cloud = running_local_cloud()
    if cloud is None or "TelegramWebhookUrl" not in cloud.physical:
        raise SetupError(
            "no local cloud with TelegramCommands=enabled runs in this process "
            "(`make demo` starts one)"
        )
    return register_webhook(
        cloud.client("secretsmanager"),
        token_secret_id=cloud.resource("TelegramBotTokenSecret"),
        webhook_secret_id=cloud.resource("TelegramWebhookSecret"),
        url=cloud.attribute("TelegramWebhookUrl", "FunctionUrl"),
        api_base=cloud.telegram.base_url,
        drop_pending_updates=args.drop_pending_updates,
    )
