"""Each attack beside the benign traffic it resembles, through the replay code path,
on CloudFront (legacy) and ALB logs: the attacker is banned, the look-alike is not.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from edgeguard.decisions import MemoryStore
from edgeguard.logs.analyzer import Replay
from edgeguard.logs.settings import DetectionSettings, SettingsError
from edgeguard_tools import log_samples as samples

T0 = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
ATTACKER = "203.0.113.66"
BROWSERS = (
    samples.BROWSER,
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
)

Line = Callable[..., str]


def cloudfront(when, ip, uri, status=200, query="", *, ua=samples.BROWSER, method="GET") -> str:
    return samples.cloudfront_line(when, ip, uri, status, query or "-", ua=ua, method=method)


FORMATS: dict[str, tuple[Line, Callable[[list[str]], bytes]]] = {
    "cloudfront": (cloudfront, samples.cloudfront_object),
    "alb": (samples.alb_line, samples.alb_object),
}


@pytest.fixture(params=sorted(FORMATS))
def fmt(request) -> tuple[Line, Callable[[list[str]], bytes]]:
    return FORMATS[request.param]


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def decisions(
    fmt, lines: list[str], settings: DetectionSettings | None = None
) -> set[tuple[str, str]]:
    """(client, scenario) of every decision ``edgeguard replay`` records for these lines."""
    _, write = fmt
    run = Replay(settings or DetectionSettings())
    run.add_bytes(write(lines))
    assert (run.lines, run.skipped) == (len(lines), 0)
    return {(o.verdict.client, o.verdict.scenario) for o in run.decide(MemoryStore())}


def flood(line: Line, rate: float, seconds: float, ip: str = ATTACKER) -> list[str]:
    """One client repeating one URL; the origin starts failing under the load."""
    rng = random.Random(11)
    result = []
    for i in range(int(rate * seconds)):
        status = rng.choice((502, 503, 504)) if rng.random() < 0.1 else 200
        result.append(line(at(60 + i / rate), ip, "/search", status, f"q=shoes&page={i % 3}"))
    return result


# ----------------------------------------------------------------- flood


@pytest.mark.parametrize(
    ("rate", "seconds", "within"), [(35, 120, 20), (25, 150, 31), (20, 70, 45), (15, 100, 81)]
)
def test_flood_of_one_url_is_banned_within_about_a_minute(fmt, rate, seconds, within):
    line, write = fmt
    run = Replay()
    run.add_bytes(write(flood(line, rate, seconds)))
    (outcome,) = run.decide(MemoryStore())
    assert (outcome.verdict.client, outcome.verdict.scenario) == (ATTACKER, "request_flood")
    # (rate - 1) repeats a second fill the bucket at (rate - 9)/s up to 480.
    assert (outcome.verdict.overflow_at - at(60)).total_seconds() <= within
    assert outcome.request.details["sample"].startswith("GET /search?q=shoes")


def test_one_url_at_8_per_second_for_10_minutes_is_not_banned(fmt):
    """Below the drain: a poller (or many people on one page) never fills the bucket."""
    line, _ = fmt
    assert decisions(fmt, flood(line, 8, 600)) == set()


def test_office_nat_of_150_users_is_not_banned(fmt):
    """150 people behind one address: ~8 requests/s at the morning peak, many agents."""
    line, _ = fmt
    rng = random.Random(21)
    users = [(rng.choice(BROWSERS), rng.random()) for _ in range(150)]
    pages = ["/", "/dashboard", "/search", "/account/settings", "/api/v2/me", "/docs"]
    lines = []
    t = 0.0
    while t < 3600:
        peak = 1800 <= t < 2400
        t += rng.expovariate(8.0 if peak else 3.0)
        ua, _ = rng.choice(users)
        uri = rng.choice([*pages, "/static/app.js", "/static/logo.svg"])
        status = 304 if uri.startswith("/static") and rng.random() < 0.5 else 200
        if rng.random() < 0.01:
            uri, status = "/docs/faq-2019", 404
        lines.append(line(at(t), "192.0.2.10", uri, status, ua=ua))
    assert len(lines) > 12000
    assert decisions(fmt, lines) == set()


def test_api_client_bursting_over_distinct_urls_is_not_banned(fmt):
    """12 requests/s for 8 s every 5 minutes, each for another invoice."""
    line, _ = fmt
    rng = random.Random(22)
    ua = "acme-reports/1.4 Go-http-client/2.0"
    lines = [
        line(
            at(burst * 300 + k / 12),
            "192.0.2.21",
            f"/api/v2/invoices/{rng.randrange(10**6)}",
            ua=ua,
        )
        for burst in range(12)
        for k in range(96)
    ]
    assert decisions(fmt, lines) == set()


def test_heavy_integration_is_not_banned_but_the_flood_beside_it_is(fmt):
    """30 requests/s for 20 minutes over distinct resources, one non-browser agent: the
    same rate as a flood, told apart by what it asks for.
    """
    line, _ = fmt
    rng = random.Random(4)
    ua = "acme-billing-sync/4.2.1 python-requests/2.32.3"
    lines = [
        line(
            at(i / 30),
            "192.0.2.20",
            f"/api/v2/invoices/{rng.randrange(10**6)}",
            404 if rng.random() < 0.05 else 200,
            "expand=lines",
            ua=ua,
        )
        for i in range(36000)
    ]
    lines += flood(line, 30, 120)
    assert decisions(fmt, lines) == {(ATTACKER, "request_flood")}


def test_an_allowlisted_partner_is_never_banned(fmt):
    """What docs/detection.md tells an operator for a partner flooding one URL on purpose."""
    from edgeguard.decisions import BanPolicy  # noqa: PLC0415

    _, write = fmt
    run = Replay()
    run.add_bytes(write(flood(fmt[0], 30, 120)))
    outcomes = run.decide(MemoryStore(policy=BanPolicy.from_cidrs([f"{ATTACKER}/32"])))
    assert [o.result.decision for o in outcomes] == [None]


# ----------------------------------------------------------------- scanners


@pytest.mark.parametrize(
    "ua",
    [
        "masscan/1.3 (https://github.com/robertdavidgraham/masscan)",
        "Mozilla/5.0 zgrab/0.x",
        "Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)",
        "Fuzz Faster U Fool v2.1.0-dev",
        "gobuster/3.6",
        "feroxbuster/2.10.4",
        "DirBuster-1.0-RC1 (http://www.owasp.org/index.php/Category:OWASP_DirBuster_Project)",
        "WPScan v3.8.25 (https://wpscan.com/wordpress-security-scanner)",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0.0.0 Safari/537.36 acunetix_wvs_security_test",
        "Mozilla/4.0 (Hydra)",
        "ZmEu",
        "Nuclei - Open-source project (github.com/projectdiscovery/nuclei)",
        "sqlmap/1.8.11#stable (https://sqlmap.org)",
        "Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:000003)",
        "commix/v4.0-stable (https://commixproject.com)",
        "Arachni/v1.6.1.3",
        "w3af.org",
        "Mozilla/5.0 [en] (X11, U; OpenVAS-VT 22.4.1)",
        "Nessus SOAP v0.0.1 (Nessus.org)",
        "Mozilla/5.0 (compatible; Netsparker)",
        "MASSCAN/1.3",
    ],
)
def test_one_request_with_a_scanner_agent_is_banned(fmt, ua):
    line, _ = fmt
    lines = [line(at(5), ATTACKER, "/", 200, ua=ua)]
    assert decisions(fmt, lines) == {(ATTACKER, "scanner_user_agent")}


@pytest.mark.parametrize(
    "ua",
    [
        "curl/8.5.0",
        "Wget/1.21.4",
        "python-requests/2.32.3",
        "Go-http-client/2.0",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.6778.81 Mobile Safari/537.36",
        "okhttp/4.12.0",
    ],
)
def test_benign_tools_and_browsers_are_not_scanners(fmt, ua):
    line, _ = fmt
    lines = [line(at(i * 3), "192.0.2.60", "/api/health", 200, ua=ua) for i in range(20)]
    assert decisions(fmt, lines) == set()


# ----------------------------------------------------------------- login brute force


def test_login_brute_force_is_banned(fmt):
    """120 POST /api/v1/login answered 401 in two minutes."""
    line, _ = fmt
    lines = [line(at(i), ATTACKER, "/api/v1/login", 401, method="POST") for i in range(120)]
    run = Replay()
    run.add_bytes(fmt[1](lines))
    (outcome,) = run.decide(MemoryStore())
    assert (outcome.verdict.client, outcome.verdict.scenario) == (ATTACKER, "auth_bruteforce")
    assert outcome.verdict.overflow_at <= at(30)
    assert outcome.request.details["sample"] == "POST /api/v1/login"


def test_basic_auth_guessing_on_a_login_path_is_banned(fmt):
    line, _ = fmt
    lines = [line(at(i * 2), ATTACKER, "/wp-login.php", 403) for i in range(40)]
    assert decisions(fmt, lines) == {(ATTACKER, "auth_bruteforce")}


def test_three_mistyped_passwords_are_not_banned(fmt):
    line, _ = fmt
    lines = [line(at(i * 8), "192.0.2.70", "/api/v1/login", 401, method="POST") for i in range(3)]
    lines.append(line(at(30), "192.0.2.70", "/api/v1/login", 200, method="POST"))
    lines += [line(at(31 + i), "192.0.2.70", "/dashboard", 200) for i in range(20)]
    assert decisions(fmt, lines) == set()


def test_expired_token_on_reads_is_not_a_brute_force(fmt):
    """An integration whose token expired: every GET answered 401, distinct resources."""
    line, _ = fmt
    lines = [
        line(at(i / 5), "192.0.2.71", f"/api/v2/orders/{i}", 401, ua="acme-sync/2.0")
        for i in range(3000)
    ]
    assert decisions(fmt, lines) == set()


def test_login_paths_are_configurable(fmt):
    line, _ = fmt
    lines = [line(at(i), ATTACKER, "/sso/check", 401) for i in range(40)]
    assert decisions(fmt, lines) == set()
    custom = DetectionSettings.from_json('{"auth_bruteforce": {"paths": ["/sso/*"]}}')
    assert decisions(fmt, lines, custom) == {(ATTACKER, "auth_bruteforce")}


@pytest.mark.parametrize(
    "text",
    [
        '{"auth_bruteforce": {"paths": "/login"}}',
        '{"auth_bruteforce": {"paths": ["login"]}}',
        '{"request_flood": {"paths": ["/login"]}}',
        '{"request_flood": {"leak_per_minute": 0}}',
        '{"request_flood": {"capacity": -1}}',
    ],
)
def test_bad_new_overrides_are_refused(text):
    with pytest.raises(SettingsError):
        DetectionSettings.from_json(text)
