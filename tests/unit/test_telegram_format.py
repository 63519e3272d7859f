"""Alerts become readable, escaped Telegram HTML that Telegram would accept."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from edgeguard.notify.alert import Alert
from edgeguard.notify.telegram_format import TELEGRAM_MESSAGE_LIMIT, render, telegram_length
from edgeguard_tools.events import load_event
from edgeguard_tools.local.telegram_server import check_entities


def _message(name: str) -> tuple[str, str | None]:
    sns = load_event(name)["Records"][0]["Sns"]
    return sns["Message"], sns.get("Subject")


def test_edgeguard_alert_is_escaped_and_readable():
    [html] = render(*_message("sns_edgeguard_alert"))
    error, plain = check_entities(html)
    assert error is None
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert "R&amp;D &lt;team&gt;" in html
    assert "3 clients banned after path probing <script>" in plain
    assert "203.0.113.7/32, 198.51.100.23/32, 2001:db8:4a::/64" in plain
    assert '<a href="https://us-east-1.console.aws.amazon.com/wafv2/' in html


def test_cloudwatch_alarm_notification_names_state_reason_and_links_the_alarm():
    [html] = render(*_message("sns_cloudwatch_alarm"))
    error, plain = check_entities(html)
    assert error is None
    assert plain.splitlines()[0].endswith("ALARM: edgeguard-dev-waf-blocked-requests")
    assert "State: OK \u2192 ALARM" in plain
    assert "Metric: AWS/WAFV2/BlockedRequests" in plain
    assert "Threshold Crossed" in plain
    assert "#alarmsV2:alarm/edgeguard-dev-waf-blocked-requests" in html


def test_plain_text_keeps_its_lines():
    [html] = render("line one & <two>\nline three", "Subject > here")
    _, plain = check_entities(html)
    assert plain.splitlines() == ["Subject > here", "", "line one & <two>", "line three"]


def test_link_that_is_not_http_is_not_rendered_as_a_link():
    alert = Alert("x", "t", fields={}, link="javascript:alert(1)")
    [html] = render(json.dumps(alert.to_dict()))
    assert "<a " not in html and "javascript" not in html


def test_long_alert_is_split_under_the_limit_without_losing_a_line():
    fields: dict[str, object] = {f"field{i}": "x<&>" * 50 for i in range(40)}
    fields["reason"] = "z" * 9000  # one line longer than two messages
    alert = Alert("ban", "many fields", "high", fields)
    messages = render(json.dumps(alert.to_dict()))
    assert len(messages) > 2
    plain_parts = []
    for html in messages:
        error, plain = check_entities(html)
        assert error is None
        assert telegram_length(plain) <= TELEGRAM_MESSAGE_LIMIT
        assert telegram_length(html) <= TELEGRAM_MESSAGE_LIMIT
        plain_parts.append(plain)
    joined = "".join(plain_parts)
    assert joined.count("x<&>") == 40 * 50
    assert joined.replace("\n", "").count("z") == 9000


def test_long_lists_are_shortened_with_a_count():
    ips = [f"203.0.113.{i}/32" for i in range(250)]
    [html] = render(json.dumps(Alert("ban", "t", fields={"clients": ips}).to_dict()))
    _, plain = check_entities(html)
    assert "203.0.113.99/32" in plain and "203.0.113.100/32" not in plain
    assert "(+150 more)" in plain


@given(st.text(min_size=0, max_size=12000), st.text(max_size=200))
def test_any_text_renders_to_valid_messages_within_the_limit(body, subject):
    for html in render(body, subject or None):
        error, _ = check_entities(html)
        assert error is None
        assert 0 < telegram_length(html) <= TELEGRAM_MESSAGE_LIMIT


def test_alert_subject_is_sns_safe():
    alert = Alert("ban", "Ünïcode\nnew line " + "x" * 200, "critical")
    subject = alert.subject()
    assert len(subject) <= 100
    assert subject.isascii() and "\n" not in subject
    assert subject.startswith("edgeguard CRITICAL:")
