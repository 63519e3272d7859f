"""Provisioning: create the template's resources in moto, in dependency order.

``provision(stack, client)`` fills ``stack.physical`` the way CloudFormation would:
resources with a creator (edgeguard_tools.local.creators) and state machines are created
in moto in topological order with their properties resolved against what exists;
everything else gets deterministic physical names (edgeguard_tools.local.resources) and,
unless it is wiring, a stand-in or inert, an entry in ``stack.skipped``. Also here: the
SNS -> SQS subscriptions moto delivers itself, and the Telegram bot token the local cloud
puts in the template's secret.
"""

from __future__ import annotations

import json
from typing import Any

from edgeguard_tools.local import resources as res
from edgeguard_tools.local.creators import CREATORS
from edgeguard_tools.local.resources import ClientFactory
from edgeguard_tools.local.stack import Stack
from edgeguard_tools.local.template import ACCOUNT_ID, topological_order
from edgeguard_tools.local.wiring import STATE_MACHINE_TYPES, Wiring


def provision(stack: Stack, client: ClientFactory) -> None:
    """Create every resource of ``stack.template`` that moto emulates; name the rest.

    Raises what the creators raise (boto3/moto errors, ``KeyError`` for a missing
    required property, ``TemplateError`` for a state machine without a definition).
    """
    template = stack.template
    resources = template.resources()

    def lazy_ref(logical_id: str) -> Any:
        if logical_id in stack.physical:
            return stack.physical[logical_id].ref
        return f"<{logical_id}>"

    def lazy_att(logical_id: str, name: str) -> Any:
        physical = stack.physical.get(logical_id)
        if physical is not None and name in physical.attributes:
            return physical.attributes[name]
        return res.virtual_attribute(logical_id, name)

    emulated = res.WIRING_TYPES.keys() | res.INERT_TYPES | res.STAND_IN_TYPES.keys()
    for logical_id, resource in resources.items():
        kind = resource["Type"]
        if kind not in CREATORS and kind not in STATE_MACHINE_TYPES:
            props = template.resolve(resource.get("Properties") or {}, ref=lazy_ref, att=lazy_att)
            stack.physical[logical_id] = res.virtual_physical(template, logical_id, kind, props)
            if kind not in emulated:
                stack.skipped[logical_id] = f"{kind} is not emulated locally"
    creatable = [
        k for k, r in resources.items() if r["Type"] in CREATORS or r["Type"] in STATE_MACHINE_TYPES
    ]
    for logical_id in topological_order(template, creatable):
        resource = resources[logical_id]
        kind = resource["Type"]
        props = stack.resolve(resource.get("Properties") or {})
        name = f"{template.stack_name}-{logical_id}"
        if kind in STATE_MACHINE_TYPES:
            physical = _create_state_machine(stack, client, logical_id, props)
        else:
            physical = CREATORS[kind](client, name, props)
        stack.physical[logical_id] = physical
    stack.index()


def _create_state_machine(
    stack: Stack, client: ClientFactory, logical_id: str, props: dict[str, Any]
) -> res.Physical:
    definition = res.state_machine_definition(stack.template, props)
    name = str(props.get("Name") or props.get("StateMachineName") or f"{logical_id}-local")
    response = client("stepfunctions").create_state_machine(
        name=name,
        definition=definition,
        roleArn=str(
            props.get("Role") or props.get("RoleArn") or f"arn:aws:iam::{ACCOUNT_ID}:role/local"
        ),
        type=props.get("Type", "STANDARD"),
    )
    arn = response["stateMachineArn"]
    return res.Physical(arn, {"Arn": arn, "Name": name}, True)


def subscribe_queues(stack: Stack, client: ClientFactory, wiring: Wiring) -> None:
    """Create the wiring's SNS -> SQS subscriptions in moto (``subscribe_queue`` each)."""
    for subscription in wiring.queue_subscriptions:
        subscribe_queue(
            stack, client, subscription.topic, subscription.endpoint, subscription.props
        )


def subscribe_queue(
    stack: Stack, client: ClientFactory, topic: str, endpoint: Any, props: dict[str, Any]
) -> None:
    """SNS -> SQS subscriptions are moto's own: create them there.

    ``topic`` is the topic's logical id, ``endpoint`` the queue's ARN, ``props`` the
    subscription's resolved properties (RawMessageDelivery, FilterPolicy).
    """
    attributes = {}
    if props.get("RawMessageDelivery"):
        attributes["RawMessageDelivery"] = "true"
    if props.get("FilterPolicy"):
        attributes["FilterPolicy"] = json.dumps(props["FilterPolicy"])
    client("sns").subscribe(
        TopicArn=stack.resource(topic),
        Protocol="sqs",
        Endpoint=str(endpoint),
        Attributes=attributes,
    )


def fill_telegram_token(stack: Stack, client: ClientFactory, token: str) -> None:
    """Put the Telegram stand-in's bot token in ``TelegramBotTokenSecret`` when it exists."""
    if (
        "TelegramBotTokenSecret" in stack.physical
        and stack.physical["TelegramBotTokenSecret"].created
    ):
        client("secretsmanager").put_secret_value(
            SecretId=stack.resource("TelegramBotTokenSecret"),
            SecretString=json.dumps({"bot_token": token}),
        )


def set_up_telegram(stack: Stack, client: ClientFactory, stand_in: Any) -> None:
    """The stand-in's bot token in the token secret (``fill_telegram_token``) and, with
    TelegramCommands=enabled, what ``edgeguard telegram setup`` does after a deploy: a new
    secret token in TelegramWebhookSecret, setWebhook on the stand-in."""
    fill_telegram_token(stack, client, stand_in.token)
    if "TelegramWebhookUrl" not in stack.physical or not _created(stack, "TelegramWebhookSecret"):
        return
    from edgeguard_tools.telegram_setup import register_webhook  # noqa: PLC0415

    register_webhook(
        client("secretsmanager"),
        token_secret_id=stack.resource("TelegramBotTokenSecret"),
        webhook_secret_id=stack.resource("TelegramWebhookSecret"),
        url=stack.attribute("TelegramWebhookUrl", "FunctionUrl"),
        api_base=stand_in.base_url,
    )


def _created(stack: Stack, logical_id: str) -> bool:
    return logical_id in stack.physical and stack.physical[logical_id].created
