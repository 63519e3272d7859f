"""`edgeguard telegram setup`: a new secret token stored and registered with setWebhook;
nothing it prints or raises holds the bot token or a secret token."""

from __future__ import annotations

import contextlib
import io
import logging

import pytest

from edgeguard_tools.cli import main
from edgeguard_tools.local.cloud import LocalCloud
from edgeguard_tools.local.telegram_server import Fault
from edgeguard_tools.telegram_setup import SetupError, register_webhook

PARAMETERS = {"TelegramCommands": "enabled", "TelegramCommandUserIds": "1001"}


def test_setup_rotates_the_secret_token_and_the_old_one_stops_working():
    """The webhook reads its secret again on the first mismatch (at most every 30 s): once
    Telegram's first update with the new token arrived, the old one is refused."""
    with LocalCloud(PARAMETERS, quiet=True) as cloud:
        assert cloud.telegram.send_command("/status")[0] == 200
        old = cloud.telegram.webhook["secret_token"]
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["telegram", "setup", "--local"])
        assert code == 0, err.getvalue()
        new = cloud.telegram.webhook["secret_token"]
        assert new != old
        printed = out.getvalue() + err.getvalue()
        assert "webhook registered: http://127.0.0.1:" in printed
        assert new not in printed and old not in printed and cloud.telegram.token not in printed
        assert cloud.telegram.send_command("/status")[0] == 200  # Telegram's next update
        assert cloud.telegram.send_command("/status", secret=old)[0] == 401


@pytest.mark.parametrize("fault", [Fault(401, description="Unauthorized"), Fault(500)])
def test_a_refused_set_webhook_says_so_without_the_token(fault):
    with LocalCloud(PARAMETERS, quiet=True) as cloud:
        secrets = cloud.client("secretsmanager")
        cloud.telegram.queue(fault, fault, fault)
        with pytest.raises(SetupError) as caught:
            register_webhook(
                secrets,
                token_secret_id=cloud.resource("TelegramBotTokenSecret"),
                webhook_secret_id=cloud.resource("TelegramWebhookSecret"),
                url="http://127.0.0.1:9/hook",
                api_base=cloud.telegram.base_url,
            )
        text = str(caught.value)
        assert "setWebhook" in text and "run setup again" in text
        assert cloud.telegram.token not in text and "/bot" not in text
        stored = secrets.get_secret_value(SecretId=cloud.resource("TelegramWebhookSecret"))
        assert stored["SecretString"] not in text


def test_setup_refuses_an_empty_bot_token_before_calling_telegram():
    with LocalCloud(PARAMETERS, quiet=True) as cloud:
        secrets = cloud.client("secretsmanager")
        secrets.put_secret_value(
            SecretId=cloud.resource("TelegramBotTokenSecret"), SecretString='{"bot_token": ""}'
        )
        before = cloud.telegram.requests
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            assert main(["telegram", "setup", "--local"]) == 1
        assert "the bot token secret is empty" in err.getvalue()
        assert cloud.telegram.requests == before


def test_setup_without_commands_enabled_says_how_to_enable_them():
    with LocalCloud(quiet=True):
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            assert main(["telegram", "setup", "--local"]) == 1
        assert "TelegramCommands=enabled" in err.getvalue()


class _Kept(logging.Handler):
    """Every record the functions log (Powertools logs through ``logging.getLogger``
    with the service name; its stream handler may point at an earlier test's stdout)."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_the_webhooks_log_lines_hold_who_and_what_but_no_secret():
    kept = _Kept()
    service = logging.getLogger("edgeguard")
    service.addHandler(kept)
    try:
        with LocalCloud(PARAMETERS, quiet=True) as cloud:
            secret = cloud.telegram.webhook["secret_token"]
            assert cloud.telegram.send_command("/status", secret="guess-42")[0] == 401
            assert cloud.telegram.send_command("/block 203.0.113.70 1h probing")[0] == 200
    finally:
        service.removeHandler(kept)
    updates = [r for r in kept.records if r.getMessage() == "telegram update"]
    reports = [r.__dict__["telegram"] for r in updates]
    assert [r["outcome"] for r in reports] == ["unauthenticated", "accepted"]
    assert (reports[1]["user_id"], reports[1]["user_name"]) == ("1001", "Alice")
    assert reports[1]["command"] == "/block 203.0.113.70 1h probing"
    logged = " ".join(repr(r.__dict__) for r in kept.records)
    assert secret not in logged and "guess-42" not in logged
    assert cloud.telegram.token not in logged
