"""Issue 19: nothing secret reaches a chat or a mailbox. Sample requests in alerts have
the values of sensitive-looking query parameters and long opaque strings redacted."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from edgeguard.logs.analyzer import request_for
from edgeguard.logs.bucket import Verdict
from edgeguard.logs.settings import DetectionSettings
from edgeguard.notify.redact import REDACTED, redact_request, sensitive_name

SENSITIVE = [
    "token",
    "access_token",
    "api_key",
    "apiKey",
    "key",
    "password",
    "passwd",
    "secret",
    "client_secret",
    "session",
    "PHPSESSID",
    "sid",
    "auth",
    "code",
    "signature",
    "sig",
    "jwt",
    "X-Amz-Signature",
    "X-Amz-Credential",
    "X-Amz-Security-Token",
]


@pytest.mark.parametrize("name", SENSITIVE)
def test_sensitive_parameter_values_are_redacted(name: str) -> None:
    sample = f"GET /login?user=alice&{name}=hunter2-Value&next=/home"
    assert redact_request(sample) == f"GET /login?user=alice&{name}={REDACTED}&next=/home"


@pytest.mark.parametrize("name", ["user", "page", "q", "lang", "step", "id"])
def test_ordinary_parameters_are_kept(name: str) -> None:
    sample = f"GET /search?{name}=shoes&page=2"
    assert redact_request(sample) == sample
    assert not sensitive_name(name)


@pytest.mark.parametrize(
    ("sample", "secret"),
    [
        ("GET /reset/3f2a9c1e7b6d4a0f9e8d7c6b5a4f3e2d1c0b9a8f", "3f2a9c1e7b6d4a0f9e8d7c6b5a4f3e2d"),
        ("GET /x?q=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl", "eyJzdWIiOiIxIn0"),
        ("GET /cb?state=dGhpc2lzYWxvbmdvcGFxdWV0b2tlbjEyMzQ1Njc4OQ==", "dGhpc2lzYWxvbmdvcGFxdW"),
        ("GET https://admin:s3cr3t@origin.example/", "s3cr3t"),
        ("curl/8.0 Authorization: Bearer abc.def.ghi", "abc.def.ghi"),
        ("GET /x;jsessionid=1A2B3C4D5E", "1A2B3C4D5E"),
        ("GET /a?X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20261130", "AKIAIOSFODNN7EXAMPLE"),
    ],
)
def test_long_opaque_strings_tokens_and_credentials_are_redacted(sample: str, secret: str) -> None:
    redacted = redact_request(sample)
    assert secret not in redacted and REDACTED in redacted


@pytest.mark.parametrize(
    "sample",
    [
        "GET /wp-login.php?action=register",
        "GET /static/js/main.chunk.js",
        "GET /../../etc/passwd",
        "GET /products/blue-cotton-t-shirt-with-long-descriptive-name",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)",
        "sqlmap/1.7.2#stable (https://sqlmap.org)",
    ],
)
def test_what_detection_shows_stays_readable(sample: str) -> None:
    assert redact_request(sample) == sample


# A credential: at least 6 characters a URL carries in a query value unescaped.
_VALUE = st.text(
    alphabet=st.sampled_from("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz0123456789-_.~%+"),
    min_size=6,
    max_size=80,
)
_PATH = st.lists(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8), max_size=4
).map(lambda parts: "/" + "/".join(parts))
_NAME = st.sampled_from(SENSITIVE).flatmap(
    lambda n: st.sampled_from([n, n.upper(), n.lower(), f"my_{n}", f"{n}[0]"])
)
_OTHER = st.tuples(st.sampled_from(["q", "page", "lang"]), st.text("abc123", max_size=6))


@given(
    method=st.sampled_from(["GET", "POST", "HEAD"]),
    path=_PATH,
    name=_NAME,
    secret=_VALUE,
    before=st.lists(_OTHER, max_size=3),
    after=st.lists(_OTHER, max_size=3),
    separator=st.sampled_from(["&", ";"]),
)
def test_no_sensitive_value_survives_in_any_request(
    method, path, name, secret, before, after, separator
) -> None:
    assume(secret not in REDACTED and secret not in name)
    params = [f"{k}={v}" for k, v in before] + [f"{name}={secret}"]
    params += [f"{k}={v}" for k, v in after]
    sample = f"{method} {path}?{separator.join(params)}"
    assume(sample.count(secret) == 1)  # only where the credential is
    redacted = redact_request(sample)
    assert secret not in redacted
    assert redacted.startswith(f"{method} {path}?")
    assert redact_request(redacted) == redacted  # idempotent


@given(token=st.text(alphabet="0123456789abcdef", min_size=32, max_size=96))
def test_any_long_hex_token_in_a_path_is_redacted(token: str) -> None:
    assume(any(c.isalpha() for c in token) and any(c.isdigit() for c in token))
    assert token not in redact_request(f"GET /invite/{token}/accept")


@given(st.text(max_size=300))
def test_redaction_never_raises_and_is_idempotent(text: str) -> None:
    once = redact_request(text)
    assert redact_request(once) == once


def test_the_log_ban_alert_of_a_request_with_a_token_shows_no_token() -> None:
    """The sample as the analyzer stores it for the alert is already redacted."""
    moment = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
    verdict = Verdict(
        source="cloudfront",
        client="203.0.113.7",
        scenario="path_probing",
        events=40,
        first_seen=moment,
        last_seen=moment,
        overflow_at=moment,
        peak=40.0,
    )
    request = request_for(verdict, DetectionSettings(), "GET /.env?access_token=abcdEFGH1234")
    assert "abcdEFGH1234" not in json.dumps(request.details)
    assert request.details["sample"] == f"GET /.env?access_token={REDACTED}"
