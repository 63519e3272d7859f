"""The digest's ``fit``: an alert of any size is published within SNS's 256 KB limit
("Amazon SNS API Reference: Publish"), summarised, never silently truncated."""

from __future__ import annotations

import json

import pytest

from edgeguard.notify.alert import Alert, message_body
from edgeguard.notify.digest import (
    DEFAULT_LIMIT_BYTES,
    SNS_MESSAGE_LIMIT,
    DoesNotFit,
    fit,
    published_size,
)


def ban_alert(n: int) -> Alert:
    """The shape of the log analyzer's ban alert, with ``n`` clients over 3 scenarios."""
    scenarios = ("path-probing", "sqli-probing", "request-flood")
    clients = [
        f"198.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}/32 ({scenarios[i % 3]})"
        for i in range(n)
    ]
    return Alert(
        kind="log-ban",
        title=f"{n} client(s) banned from cloudfront logs",
        severity="medium",
        fields={"clients": clients, "object": "AWSLogs/x.gz", "samples": ["GET /.env"] * 10},
    )


def test_a_small_alert_is_published_unchanged() -> None:
    alert = ban_alert(10)
    assert fit(alert) is alert


def test_budget_is_under_sns_limit() -> None:
    assert DEFAULT_LIMIT_BYTES < SNS_MESSAGE_LIMIT


def test_4000_bans_are_summarised_under_the_limit_with_counts_per_scenario() -> None:
    alert = ban_alert(4000)
    assert published_size(alert) > SNS_MESSAGE_LIMIT  # the failing case of issue 14
    fitted = fit(alert)
    assert published_size(fitted) <= DEFAULT_LIMIT_BYTES
    fields = fitted.fields
    shown = len(fields["clients"])
    assert 1000 < shown < 4000
    assert fields["clients"] == alert.fields["clients"][:shown]  # the first N, in order
    assert fields["clients_total"] == 4000
    assert fields["clients_by_scenario"] == {
        "path-probing": 1334,
        "sqli-probing": 1333,
        "request-flood": 1333,
    }
    assert f"{4000 - shown} more not shown" in fields["clients_not_shown"]
    assert "edgeguard decisions" in fields["clients_not_shown"]
    assert fields["samples"] == alert.fields["samples"]  # short lists untouched
    # both renderings carry the summary
    body = json.loads(message_body(fitted))
    assert json.loads(body["default"])["fields"]["clients_total"] == 4000
    assert "clients_total: 4000" in body["email"]


def test_fit_uses_as_much_of_the_budget_as_it_can() -> None:
    fitted = fit(ban_alert(4000), limit_bytes=50_000)
    assert published_size(fitted) <= 50_000
    one_more = fit(ban_alert(4000), limit_bytes=50_000 + 200)
    assert len(one_more.fields["clients"]) > len(fitted.fields["clients"])


def test_items_with_a_reason_key_are_counted_per_reason() -> None:
    findings = [{"ip": f"203.0.113.{i % 250}", "reason": f"type-{i % 2}"} for i in range(5000)]
    fitted = fit(Alert(kind="finding-block", title="t", fields={"ips": findings}), 20_000)
    assert fitted.fields["ips_by_reason"] == {"type-0": 2500, "type-1": 2500}
    assert fitted.fields["ips_total"] == 5000


def test_items_without_a_reason_get_no_counts_but_a_total() -> None:
    fitted = fit(Alert(kind="k", title="t", fields={"ids": [str(i) for i in range(9000)]}), 20_000)
    assert fitted.fields["ids_total"] == 9000
    assert not any(name.startswith("ids_by_") for name in fitted.fields)


def test_many_reasons_are_capped_to_the_largest_twenty_and_other() -> None:
    items = [f"v{i} (r{i % 30})" for i in range(6000)]
    fitted = fit(Alert(kind="k", title="t", fields={"v": items}), 20_000)
    counts = fitted.fields["v_by_scenario"]
    assert len(counts) == 21 and counts["other"] == 6000 - 20 * 200


def test_a_huge_text_field_is_shortened_and_says_so() -> None:
    alert = Alert(kind="k", title="t", fields={"detail": "x" * 400_000, "n": 3})
    fitted = fit(alert)
    assert published_size(fitted) <= DEFAULT_LIMIT_BYTES
    assert fitted.fields["detail"].endswith("characters cut)")
    assert fitted.fields["n"] == 3


def test_multibyte_text_is_measured_in_bytes() -> None:
    alert = Alert(kind="k", title="t", fields={"names": ["日本語の名前" * 10] * 2000})
    fitted = fit(alert)
    assert len(message_body(fitted).encode()) <= DEFAULT_LIMIT_BYTES


def test_an_impossible_budget_is_a_clear_error() -> None:
    with pytest.raises(DoesNotFit, match="does not fit"):
        fit(Alert(kind="k", title="t" * 1000, fields={"a": "b" * 1000}), limit_bytes=100)


def test_the_alarm_state_machines_publication_fits_too() -> None:
    from edgeguard.alarms.record import sns_publication  # noqa: PLC0415

    message = sns_publication(ban_alert(6000))["Message"]
    assert len(message.encode()) <= DEFAULT_LIMIT_BYTES
    assert json.loads(json.loads(message)["default"])["fields"]["clients_total"] == 6000
