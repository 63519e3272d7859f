"""Issue 14 item 5 against the local Telegram stand-in (a real HTTP server on 127.0.0.1)
and the real notifier handler: no error or log line carries the bot token (a token with
whitespace used to raise http.client.InvalidURL with the URL in its message), and any
``retry_after`` value is survived, with the TelegramFailed metric still counted."""

from __future__ import annotations

import json
import logging

import boto3
import pytest
from moto import mock_aws

from edgeguard.notify.telegram_client import (
    TelegramClient,
    TelegramError,
    TelegramRejected,
    TelegramUnavailable,
    check_token,
    retry_after_seconds,
)
from edgeguard_tools.events import load_event
from edgeguard_tools.local.handlers import LocalContext, environment, load_handler
from edgeguard_tools.local.telegram_server import Fault


def run_notifier(secret_string: str, base: str, capsys, caplog) -> tuple[str, dict | None]:
    """The real handler with the token in Secrets Manager (moto): (everything it printed,
    logged or raised; its result or None when it raised)."""
    caplog.set_level(logging.DEBUG, logger="edgeguard")
    with mock_aws():
        arn = boto3.client("secretsmanager").create_secret(
            Name="edgeguard/test/telegram", SecretString=secret_string
        )["ARN"]
        env = {"TELEGRAM_CHAT_ID": "42", "TELEGRAM_API_BASE": base, "TELEGRAM_TOKEN_SECRET": arn}
        with environment(env):
            handler = load_handler("functions/notifier", fresh=True)
            context = LocalContext(function_name="notifier", timeout_seconds=3)
            raised, result = "", None
            try:
                result = handler(load_event("sns_edgeguard_alert"), context)
            except TelegramError as error:
                raised = f"{error!s} {error!r} {error.__cause__!r} {error.__context__!r}"
    output = capsys.readouterr()
    return output.out + output.err + caplog.text + raised, result


def metric_counts(text: str, name: str) -> list[float]:
    """Values of ``name`` in the Embedded Metric Format lines the handler printed."""
    values = []
    for line in text.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            document = json.loads(line)
            if name in document:
                values.append(
                    document[name] if not isinstance(document[name], list) else sum(document[name])
                )
    return values


# Leading and trailing whitespace is stripped from the secret (bot_token_from_secret).
@pytest.mark.parametrize(
    "spoiled", ["{a}: {b}", "{a}:{b} x", "{a}:\t{b}", "{a} :{b}", "{a}:{b}\n1"]
)
def test_a_token_with_whitespace_is_refused_and_never_shown(telegram, capsys, caplog, spoiled):
    a, b = telegram.token.split(":")
    secret = spoiled.format(t=telegram.token, a=a, b=b)
    everything, result = run_notifier(
        json.dumps({"bot_token": secret}), telegram.base_url, capsys, caplog
    )
    assert result is None and "malformed" in everything
    assert b not in everything and b.strip() not in everything
    assert metric_counts(everything, "TelegramFailed") == [1]
    assert telegram.requests == 0  # refused before any URL was built


def test_invalid_url_error_text_never_carries_the_token(telegram) -> None:
    # A well-formed token but a base URL with a space: http.client raises InvalidURL
    # whose message is the whole URL, token included.
    client = TelegramClient(
        token=telegram.token,
        chat_id="42",
        api_base=telegram.base_url + "/x y",
        max_attempts=2,
        base_backoff=0.01,
    )
    with pytest.raises(TelegramUnavailable, match=r"request failed \(InvalidURL\)") as caught:
        client.send_message("x")
    text = f"{caught.value!s} {caught.value!r} {caught.value.__context__!r}"
    assert telegram.token.split(":")[1] not in text


@pytest.mark.parametrize("retry_after", [-1, "soon", None, 10**12, "1e400", float("nan"), [], {}])
def test_any_retry_after_is_survived_and_counted(telegram, capsys, caplog, retry_after):
    telegram.queue(*[Fault(status=429, parameters={"retry_after": retry_after})] * 20)
    everything, result = run_notifier(telegram.token, telegram.base_url, capsys, caplog)
    assert result is None, "a failed delivery must raise so Lambda retries and dead-letters it"
    assert "rate limited by Telegram" in everything
    assert metric_counts(everything, "TelegramFailed") == [1]
    assert telegram.token.split(":")[1] not in everything


def test_a_bad_retry_after_waits_a_second_then_delivers(telegram) -> None:
    telegram.queue(Fault(status=429, parameters={"retry_after": "soon"}))
    waits: list[float] = []
    client = TelegramClient(
        token=telegram.token, chat_id="42", api_base=telegram.base_url, sleep=waits.append
    )
    client.send_message("after the rate limit")
    assert waits == [1.0]
    assert [m["text"] for m in telegram.messages] == ["after the rate limit"]


def test_a_huge_retry_after_is_not_waited(telegram) -> None:
    telegram.queue(Fault(status=429, retry_after=86_400))
    waits: list[float] = []
    client = TelegramClient(
        token=telegram.token, chat_id="42", api_base=telegram.base_url, sleep=waits.append
    )
    with pytest.raises(TelegramUnavailable, match="not waited"):
        client.send_message("x")
    assert waits == [] and telegram.requests == 1


def test_retry_after_parsing() -> None:
    assert retry_after_seconds({"retry_after": 3}) == 3
    assert retry_after_seconds({"retry_after": "7"}) == 7
    for odd in (-1, "soon", None, True, float("inf"), [1]):
        assert retry_after_seconds({"retry_after": odd}) == 1.0
    assert retry_after_seconds("not a dict") == 1.0


def test_token_shape() -> None:
    check_token("123456789:" + "A" * 35)
    for bad in ("", "t", "123:short", "abc:" + "A" * 35, "1:" + "A" * 34 + " ", "1:" + "A/" * 18):
        with pytest.raises(TelegramRejected, match="malformed") as caught:
            check_token(bad)
        assert len(bad) < 5 or bad not in str(caught.value)
