"""Two-way Telegram in template.yaml: off by default, one parameter turns it on, and the
webhook function may do exactly what the issue allows (decisions table, its audit table,
its own idempotency records, its two secrets, the alerts topic, the key) - nothing else:
no WAF, no Lambda invoke (the table's stream runs the enforcer)."""

from __future__ import annotations

from typing import Any

from edgeguard_tools.local.template import default_template_path, load_template

TEMPLATE = load_template(default_template_path())
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
WEBHOOK = RESOURCES["TelegramWebhookFunction"]
BOT_TOKEN = {
    "Fn::If": [
        "CreateTelegramSecret",
        {"Ref": "TelegramBotTokenSecret"},
        {"Ref": "TelegramBotTokenSecretArn"},
    ]
}


def _grants() -> dict[str, set[str]]:
    """Resource (as written) -> actions the webhook's policies allow on it."""
    found: dict[str, set[str]] = {}
    for policy in WEBHOOK["Properties"]["Policies"]:
        for statement in policy["Statement"]:
            assert statement["Effect"] == "Allow"
            actions = statement["Action"]
            targets = statement["Resource"]
            for target in targets if isinstance(targets, list) else [targets]:
                found.setdefault(repr(target), set()).update(
                    actions if isinstance(actions, list) else [actions]
                )
    return found


def test_off_by_default_and_every_resource_follows_the_one_parameter():
    assert TEMPLATE["Parameters"]["TelegramCommands"]["Default"] == "disabled"
    mine = [k for k in RESOURCES if k.startswith("TelegramWebhook") or k == "TelegramAuditTable"]
    assert len(mine) == 7
    assert {RESOURCES[k].get("Condition") for k in mine} == {"TelegramCommandsOn"}
    notifier = RESOURCES["NotifierFunction"]["Properties"]["Environment"]["Variables"]
    assert notifier["TELEGRAM_COMMANDS"] == {"Ref": "TelegramCommands"}


def test_the_webhook_may_do_exactly_what_it_needs():
    assert _grants() == {
        repr({"Fn::GetAtt": ["DecisionsTable", "Arn"]}): {
            "dynamodb:GetItem",
            "dynamodb:UpdateItem",
            "dynamodb:Query",
            "dynamodb:Scan",
        },
        repr({"Fn::GetAtt": ["TelegramAuditTable", "Arn"]}): {"dynamodb:PutItem"},
        repr({"Fn::GetAtt": ["IdempotencyTable", "Arn"]}): {
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
        },
        repr(BOT_TOKEN): {"secretsmanager:GetSecretValue"},
        repr({"Ref": "TelegramWebhookSecret"}): {"secretsmanager:GetSecretValue"},
        repr({"Ref": "AlertsTopic"}): {"sns:Publish"},
        repr({"Fn::GetAtt": ["EdgeguardKey", "Arn"]}): {"kms:Decrypt", "kms:GenerateDataKey"},
    }


def test_idempotency_records_are_limited_to_the_webhooks_own_keys():
    (statement,) = [
        s
        for p in WEBHOOK["Properties"]["Policies"]
        for s in p["Statement"]
        if s.get("Sid") == "UpdateIdsSeen"
    ]
    keys = statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
    # Powertools keys records "<AWS_LAMBDA_FUNCTION_NAME>.<function>#<hash>".
    assert keys == [{"Fn::Sub": "edgeguard-${Environment}-telegram-webhook.*"}]
    assert WEBHOOK["Properties"]["FunctionName"] == {
        "Fn::Sub": "edgeguard-${Environment}-telegram-webhook"
    }


def test_the_function_url_is_public_only_through_the_url():
    url = RESOURCES["TelegramWebhookUrl"]["Properties"]
    assert url == {
        "TargetFunctionArn": {"Fn::GetAtt": ["TelegramWebhookFunction", "Arn"]},
        "AuthType": "NONE",
    }
    url_permission = RESOURCES["TelegramWebhookUrlPermission"]["Properties"]
    assert (url_permission["Action"], url_permission["FunctionUrlAuthType"]) == (
        "lambda:InvokeFunctionUrl",
        "NONE",
    )
    invoke = RESOURCES["TelegramWebhookInvokePermission"]["Properties"]
    assert (invoke["Action"], invoke["InvokedViaFunctionUrl"]) == ("lambda:InvokeFunction", True)
    assert WEBHOOK["Properties"]["ReservedConcurrentExecutions"] <= 5
