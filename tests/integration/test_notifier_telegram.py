"""The notifier against a real HTTP server on 127.0.0.1 that speaks the Bot API."""

from __future__ import annotations

import json
import logging
import time

import boto3
import pytest
from moto import mock_aws

from edgeguard.notify.service import NotifierSettings, deliver
from edgeguard.notify.telegram_client import (
    TelegramClient,
    TelegramError,
    TelegramRejected,
    TelegramUnavailable,
)
from edgeguard_tools.events import load_event
from edgeguard_tools.local.handlers import LocalContext, environment, load_handler
from edgeguard_tools.local.telegram_server import Fault


def _client(telegram, **kwargs) -> TelegramClient:
    options = {"base_backoff": 0.01, "max_backoff": 0.05, "request_timeout": 2.0} | kwargs
    return TelegramClient(token=telegram.token, chat_id="42", api_base=telegram.base_url, **options)


def test_success_returns_telegram_message(telegram):
    result = _client(telegram).send_message("<b>hello</b> &amp; bye")
    assert result["message_id"] == 1
    assert telegram.messages[0]["text"] == "hello & bye"


def test_429_waits_retry_after_then_succeeds(telegram):
    telegram.queue(Fault(status=429, retry_after=1))
    client = _client(telegram)
    started = time.monotonic()
    client.send_message("after rate limit")
    assert time.monotonic() - started >= 1.0
    assert client.attempts_made == 2
    assert [m["text"] for m in telegram.messages] == ["after rate limit"]


def test_429_longer_than_the_time_budget_fails_as_retryable(telegram):
    telegram.queue(Fault(status=429, retry_after=30))
    client = _client(telegram)
    with pytest.raises(TelegramUnavailable, match="retry_after=30"):
        client.send_message("x", deadline=time.monotonic() + 5)
    assert telegram.messages == []


def test_500_is_retried_with_backoff(telegram):
    telegram.queue(Fault(status=500), Fault(status=502))
    client = _client(telegram)
    client.send_message("survived")
    assert client.attempts_made == 3
    assert len(telegram.messages) == 1


def test_persistent_500_gives_up_after_max_attempts(telegram):
    telegram.queue(*[Fault(status=500)] * 10)
    client = _client(telegram, max_attempts=3)
    with pytest.raises(TelegramUnavailable):
        client.send_message("x")
    assert telegram.requests == 3


def test_wrong_chat_fails_fast_naming_the_cause(telegram):
    client = TelegramClient(token=telegram.token, chat_id="999", api_base=telegram.base_url)
    with pytest.raises(TelegramRejected, match="chat not found"):
        client.send_message("x")
    assert telegram.requests == 1


def test_wrong_token_fails_fast_without_showing_it(telegram):
    client = TelegramClient(
        token="1:WRONG-token-" + "x" * 23, chat_id="42", api_base=telegram.base_url
    )
    with pytest.raises(TelegramRejected, match="Unauthorized") as caught:
        client.send_message("x")
    assert "WRONG-token" not in str(caught.value)


def test_slow_answer_times_out_and_is_retried(telegram):
    telegram.queue(Fault(status=200, delay=1.5))
    client = _client(telegram, request_timeout=0.3)
    client.send_message("eventually")
    assert client.attempts_made == 2
    assert any(m["text"] == "eventually" for m in telegram.messages)


def test_server_gone_is_a_retryable_connection_failure(telegram):
    base = telegram.base_url
    telegram.stop()
    client = TelegramClient(
        token=telegram.token, chat_id="42", api_base=base, max_attempts=2, base_backoff=0.01
    )
    with pytest.raises(TelegramUnavailable, match="connection failed"):
        client.send_message("x")


def test_every_sample_event_is_delivered(telegram):
    settings = NotifierSettings(chat_id="42", api_base=telegram.base_url, token_secret="s")
    for name in ("sns_edgeguard_alert", "sns_cloudwatch_alarm", "sns_plain_text"):
        report = deliver(load_event(name), settings, lambda: telegram.token, 20)
        assert report.messages_sent == 1
    assert len(telegram.messages) == 3


def test_not_configured_is_skipped_not_failed(telegram):
    settings = NotifierSettings(chat_id="", api_base=telegram.base_url, token_secret="s")
    report = deliver(load_event("sns_plain_text"), settings, lambda: "t")
    assert report.skipped_reason and report.messages_sent == 0
    settings = NotifierSettings(chat_id="42", api_base=telegram.base_url, token_secret="s")
    report = deliver(load_event("sns_plain_text"), settings, lambda: "")
    assert "fill it in" in (report.skipped_reason or "")
    assert telegram.requests == 0


@pytest.mark.parametrize(
    ("secret_value", "fault"),
    [
        ("json", None),
        ("raw", Fault(status=400, description="Bad Request: chat not found")),
        ("json", Fault(status=401, description="Unauthorized")),
        ("raw", "gone"),
    ],
)
def test_token_never_appears_in_logs_or_errors(telegram, capsys, caplog, secret_value, fault):
    """Run the real Lambda handler with the token in Secrets Manager (moto)."""
    token = telegram.token
    secret_string = json.dumps({"bot_token": token}) if secret_value == "json" else token
    base = telegram.base_url
    if fault == "gone":
        telegram.stop()
    elif fault is not None:
        telegram.queue(fault)
    # Library wire logs (botocore DEBUG) are off in Lambda; our own logger is at its most verbose.
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="edgeguard")
    with mock_aws():
        arn = boto3.client("secretsmanager").create_secret(
            Name="edgeguard/test/telegram", SecretString=secret_string
        )["ARN"]
        env = {"TELEGRAM_CHAT_ID": "42", "TELEGRAM_API_BASE": base, "TELEGRAM_TOKEN_SECRET": arn}
        with environment(env):
            handler = load_handler("functions/notifier", fresh=True)
            context = LocalContext(function_name="notifier", timeout_seconds=3)
            error_text = ""
            try:
                result = handler(load_event("sns_edgeguard_alert"), context)
            except TelegramError as error:
                error_text = f"{error!s} {error!r} {error.__cause__!r} {error.__context__!r}"
                result = None
    output = capsys.readouterr()
    everything = output.out + output.err + caplog.text + error_text
    assert token not in everything
    assert token.split(":")[1] not in everything
    if fault is None:
        assert result["messages_sent"] == 1
        assert len(telegram.messages) == 1
    else:
        assert error_text, "a failed delivery must raise so Lambda retries and dead-letters it"
