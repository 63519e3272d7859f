"""The Telegram webhook: a Lambda function URL request in, an HTTP answer out.

One request is one Telegram Update ("Telegram Bot API: Getting updates", webhook). In
order:

1. the ``X-Telegram-Bot-Api-Secret-Token`` header must equal the webhook secret
   (constant time; on a mismatch the secret is read again at most every 30 s, so a
   rotation by ``edgeguard telegram setup`` is picked up): else **401** and nothing else
   happens;
2. the body must be an Update (else 400);
3. once per ``update_id`` (Powertools idempotency on the shared IdempotencyTable: a
   replay returns the first answer and repeats no effect; a failed attempt is released
   so Telegram's retry runs it again):
   the chat and the user must both be configured (else refused, audited, told);
   the command is parsed and validated as the CLI does and run on the circuit breaker
   with the Telegram user as the actor; every accepted command is announced on the
   alerts topic (changes by the breaker's own alert, reads by a ``telegram-command``
   alert); the outcome is audited (``chatops.audit``) and answered in the chat.
4. **200**, so Telegram does not resend the update.

The enforcer is not invoked: the decisions table's stream runs it on every change (the
template's ``IpSetSyncFunction`` ``DecisionChanged`` event), so WAF follows within one
enforcer run without this function holding any WAF or Lambda permission.
"""

from __future__ import annotations

import base64
import json
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from edgeguard.breaker.service import Backend, CircuitBreaker
from edgeguard.chatops.audit import AuditLog
from edgeguard.chatops.auth import SECRET_HEADER, Allowed, secret_matches
from edgeguard.chatops.commands import Command, Reply, from_button, parse_command, run
from edgeguard.chatops.updates import Actor, Incoming, MalformedUpdate, parse_update
from edgeguard.clock import utcnow
from edgeguard.config import optional, require
from edgeguard.decisions import DecisionStore, DynamoDecisionStore
from edgeguard.notify.alert import Alert, publish
from edgeguard.notify.console import Console
from edgeguard.notify.keyboard import BadCallbackData, ButtonAction, decode
from edgeguard.notify.telegram_client import (
    DEFAULT_API_BASE,
    TelegramClient,
    TelegramError,
    bot_token_from_secret,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sns import SNSClient

__all__ = ["Webhook", "WebhookSettings", "bot_token_from_secret", "build", "http"]

SECRET_REFRESH_SECONDS = 30.0
REPLY_BUDGET_SECONDS = 10.0
CALLBACK_TEXT_LIMIT = 200  # answerCallbackQuery text: 0-200 characters


@dataclass(frozen=True)
class WebhookSettings:
    """What the webhook needs; read once at cold start."""

    alerts_topic_arn: str
    audit_table: str
    token_secret: str
    webhook_secret: str
    allowed: Allowed
    api_base: str = DEFAULT_API_BASE

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> WebhookSettings:
        """ALERTS_TOPIC_ARN, AUDIT_TABLE, TELEGRAM_TOKEN_SECRET and TELEGRAM_WEBHOOK_SECRET
        (secret ids) are required; ALLOWED_CHAT_IDS and ALLOWED_USER_IDS are
        comma-separated numeric ids (empty: nobody may act); TELEGRAM_API_BASE defaults to
        https://api.telegram.org. The decision store reads its own variables
        (``DynamoDecisionStore.from_env``).

        Raises:
            ConfigError: a required variable is missing.
        """
        return cls(
            alerts_topic_arn=require("ALERTS_TOPIC_ARN", environ),
            audit_table=require("AUDIT_TABLE", environ),
            token_secret=require("TELEGRAM_TOKEN_SECRET", environ),
            webhook_secret=require("TELEGRAM_WEBHOOK_SECRET", environ),
            allowed=Allowed.of(
                optional("ALLOWED_CHAT_IDS", "", environ).split(","),
                optional("ALLOWED_USER_IDS", "", environ).split(","),
            ),
            api_base=optional("TELEGRAM_API_BASE", DEFAULT_API_BASE, environ),
        )


def http(status: int, body: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A function URL response ("Lambda function URLs: invoking", response payload)."""
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(dict(body or {"ok": status < 300})),
    }


@dataclass
class Webhook:
    """The webhook's logic with its dependencies given (the handler builds them once).

    ``secret_token(force)`` returns the webhook secret (``force``: bypass any cache);
    ``bot_token()`` the bot token; ``once`` wraps the per-update step so it runs once per
    update_id (Powertools ``idempotent_function``; identity in tests of other parts).
    """

    settings: WebhookSettings
    store: DecisionStore
    sns: SNSClient
    audit: AuditLog
    secret_token: Callable[[bool], str]
    bot_token: Callable[[], str]
    once: Callable[[Callable[..., dict[str, Any]]], Callable[..., dict[str, Any]]] = lambda step: (
        step
    )
    clock: Callable[[], float] = time.monotonic
    _refreshed_at: float = field(default=-math.inf, init=False)
    _step: Callable[..., dict[str, Any]] | None = field(default=None, init=False)

    def handle(self, event: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """One function URL request (payload format 2.0) -> (HTTP response, report).

        The report (update_id, kind, outcome, chat_id, user_id, user_name, command,
        detail) is what the handler logs and counts; it never holds a secret.
        """
        method = str(((event.get("requestContext") or {}).get("http") or {}).get("method", ""))
        if method.upper() != "POST":
            return http(405), {"outcome": "not-post"}
        headers = {str(k).lower(): v for k, v in (event.get("headers") or {}).items()}
        if not self._authentic(headers.get(SECRET_HEADER)):
            detail = "no secret token" if SECRET_HEADER not in headers else "wrong secret token"
            return http(401), {"outcome": "unauthenticated", "detail": detail}
        try:
            body = _body(event)
            parse_update(body)
        except (MalformedUpdate, ValueError) as error:
            return http(400), {"outcome": "malformed", "detail": str(error)[:200]}
        if self._step is None:
            self._step = self.once(self.process)
        report = self._step(update=body)
        return http(200), dict(report)

    def process(self, update: dict[str, Any]) -> dict[str, Any]:
        """Act on one Update (at most once per update_id when wrapped by ``once``)."""
        incoming = parse_update(update)
        report: dict[str, Any] = {"update_id": incoming.update_id, "kind": incoming.kind}
        if incoming.kind == "other":
            return report | {"outcome": "ignored"}
        actor = incoming.actor or Actor("?", "")
        report |= {
            "chat_id": incoming.chat_id,
            "user_id": actor.user_id,
            "user_name": actor.name,
            "command": incoming.text[:200],
        }
        refusal = self.settings.allowed.refusal(incoming)
        if refusal is not None:
            report |= {"outcome": "not-allowed", "detail": refusal}
            self.audit.record(report, utcnow())
            self._answer(incoming, f"not allowed: {refusal}", report)
            return report
        reply, button = self._run(incoming, actor)
        report |= {"outcome": reply.outcome, "detail": reply.text[:300]}
        self.audit.record(report, utcnow())
        self._answer(incoming, reply.text, report, button if reply.outcome == "accepted" else None)
        return report

    # ------------------------------------------------------------------ steps
    def _authentic(self, received: str | None) -> bool:
        if secret_matches(received, self.secret_token(False)):
            return True
        now = self.clock()
        if received is None or now - self._refreshed_at < SECRET_REFRESH_SECONDS:
            return False
        self._refreshed_at = now  # perhaps rotated since it was cached: read it once more
        return secret_matches(received, self.secret_token(True))

    def _run(self, incoming: Incoming, actor: Actor) -> tuple[Reply, ButtonAction | None]:
        button: ButtonAction | None = None
        try:
            if incoming.kind == "button":
                button = decode(incoming.text)
                command: Command = from_button(button)
            else:
                command = parse_command(incoming.text)
        except BadCallbackData as error:
            return Reply(f"refused: {error}", "refused"), None
        except ValueError as error:  # Usage
            return Reply(str(error), "refused"), None
        breaker = CircuitBreaker(
            Backend(
                store=self.store,
                announce=self._announce,
                enforce=_stream,
                who=actor.label(),
                console=Console.deployed(self.settings.alerts_topic_arn),
            )
        )
        reply = run(command, breaker, actor)
        if reply.outcome == "accepted" and not command.changes and command.name != "help":
            self._announce(
                Alert(
                    kind="telegram-command",
                    title=f"{actor.name or actor.user_id} ran /{command.name} in Telegram",
                    severity="info",
                    fields={"command": incoming.text[:200], "by": actor.label()},
                )
            )
        return reply, button

    def _announce(self, alert: Alert) -> None:
        publish(self.sns, self.settings.alerts_topic_arn, alert)

    def _answer(
        self,
        incoming: Incoming,
        text: str,
        report: dict[str, Any],
        button: ButtonAction | None = None,
    ) -> None:
        """Tell the chat; a failure to reply is reported, never undoes what was done."""
        try:
            client = TelegramClient(
                token=self.bot_token(), chat_id=incoming.chat_id, api_base=self.settings.api_base
            )
            deadline = client.clock() + REPLY_BUDGET_SECONDS
            if incoming.kind == "button":
                client.call(
                    "answerCallbackQuery",
                    {"callback_query_id": incoming.callback_id, "text": text[:CALLBACK_TEXT_LIMIT]},
                    deadline,
                )
            if button is not None and button.op == "unblock" and incoming.message_id:
                # the ban is over: only Details stays under the alert
                details = ButtonAction("details", button.target, button.scope)
                markup = {
                    "inline_keyboard": [[{"text": "Details", "callback_data": details.encode()}]]
                }
                client.call(
                    "editMessageReplyMarkup",
                    {
                        "chat_id": incoming.chat_id,
                        "message_id": incoming.message_id,
                        "reply_markup": markup,
                    },
                    deadline,
                )
            client.call("sendMessage", {"chat_id": incoming.chat_id, "text": text}, deadline)
        except TelegramError as error:
            report["reply_error"] = str(error)[:300]


def _stream() -> None:
    """The breaker's enforce step: nothing to do, the table's stream runs the enforcer."""
    return None


def _body(event: Mapping[str, Any]) -> Any:
    raw = event.get("body") or ""
    if event.get("isBase64Encoded"):
        raw = base64.b64decode(raw).decode("utf-8")
    return json.loads(raw)


def build(
    settings: WebhookSettings,
    *,
    dynamodb: DynamoDBClient,
    sns: SNSClient,
    secret_token: Callable[[bool], str],
    bot_token: Callable[[], str],
    once: Callable[[Callable[..., dict[str, Any]]], Callable[..., dict[str, Any]]],
    environ: Mapping[str, str] | None = None,
) -> Webhook:
    """The webhook with the deployed store (``DynamoDecisionStore.from_env``) and audit
    table. Raises ConfigError for a missing or invalid variable."""
    store = DynamoDecisionStore.from_env(environ, client=dynamodb)
    return Webhook(
        settings=settings,
        store=store,
        sns=sns,
        audit=AuditLog(dynamodb, settings.audit_table),
        secret_token=secret_token,
        bot_token=bot_token,
        once=once,
    )
