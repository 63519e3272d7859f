"""Each detection scenario on real-format gzip logs, and the benign patterns it must leave alone."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from edgeguard.decisions import MemoryStore
from edgeguard.logs.analyzer import Replay
from edgeguard.logs.settings import DetectionSettings, SettingsError
from edgeguard_tools import log_samples as samples

T0 = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
ATTACKER = "203.0.113.66"
SCANNER_UA = "sqlmap/1.8.11#stable (https://sqlmap.org)"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def background(rng: random.Random, n: int = 400) -> list[str]:
    """Ordinary visitors: pages, assets, the odd 404, spread over an hour."""
    lines = []
    for i in range(n):
        ip = f"198.51.100.{rng.randrange(1, 250)}"
        uri = rng.choice(["/", "/pricing", "/docs", "/static/app.js", "/static/logo.png", "/login"])
        status = 404 if i % 97 == 0 else 200
        lines.append(samples.cloudfront_line(at(rng.random() * 3600), ip, uri, status))
    return lines


def replay(*objects: bytes, settings: DetectionSettings | None = None):
    run = Replay(settings or DetectionSettings())
    for body in objects:
        run.add_bytes(body)
    sink = MemoryStore()
    outcomes = run.decide(sink)
    return {(o.verdict.client, o.verdict.scenario) for o in outcomes}, outcomes, run


def attack(kind: str) -> list[str]:
    """Each scenario's attacker, in its typical shape."""
    line = samples.cloudfront_line
    if kind == "path_probing":
        words = [
            "admin",
            "backup",
            "old",
            "test",
            "wp-login.php",
            "phpmyadmin",
            "console",
            "manager/html",
            "jenkins",
            "solr",
            "setup.php",
            "install.php",
            "portal",
            "cpanel",
            "webadmin",
            "adminer.php",
            "staging",
            "dev",
            "api/debug",
            "server",
            "private",
            "upload",
            "uploads",
            "tmp",
            "logs",
            "db",
            "sql",
            "mysql",
            "pma",
            "shell",
            "cmd",
            "config",
            "conf",
            "data",
            "files",
            "internal",
        ]
        return [line(at(i * 0.5), ATTACKER, f"/{w}", 404) for i, w in enumerate(words)]
    if kind == "sensitive_files":
        paths = ["/.env", "/.git/config", "/.aws/credentials", "/backup.sql"]
        return [line(at(i * 2), ATTACKER, p, 404) for i, p in enumerate(paths)]
    if kind == "path_traversal":
        return [
            line(at(0), ATTACKER, "/static/..%2f..%2f..%2fetc%2fpasswd", 400),
            line(at(3), ATTACKER, "/download", 400, "file=%252e%252e%252f%252e%252e%252fwin.ini"),
        ]
    if kind == "sqli_probing":
        queries = [
            "id=1%27%20OR%20%271%27=%271",
            "id=1%20UNION%20SELECT%20null,version()--",
            "id=1%20AND%20SLEEP(5)",
        ]
        return [line(at(i * 2), ATTACKER, "/products", 200, q) for i, q in enumerate(queries)]
    if kind == "xss_probing":
        queries = [
            "q=%3Cscript%3Ealert(1)%3C/script%3E",
            "q=%22%3E%3Csvg/onload=alert(1)%3E",
            "next=javascript:alert(document.cookie)",
        ]
        return [line(at(i * 2), ATTACKER, "/search", 200, q) for i, q in enumerate(queries)]
    if kind == "scanner_user_agent":
        return [line(at(i), ATTACKER, "/", 200, ua=SCANNER_UA) for i in range(3)]
    if kind == "request_flood":
        # 400 requests/s for 30 s against the login form.
        return [line(at(i / 400), ATTACKER, "/login", 200, method="POST") for i in range(12000)]
    raise AssertionError(kind)


SCENARIOS = [
    "path_probing",
    "sensitive_files",
    "path_traversal",
    "sqli_probing",
    "xss_probing",
    "scanner_user_agent",
    "request_flood",
]


@pytest.mark.parametrize("kind", SCENARIOS)
def test_each_scenario_bans_its_attacker_from_a_cloudfront_log(kind):
    lines = background(random.Random(1)) + attack(kind)
    random.Random(2).shuffle(lines)  # a log is only roughly time-ordered
    found, outcomes, run = replay(samples.cloudfront_object(lines))
    assert (f"{ATTACKER}/32", kind) in {
        (o.result.decision.value, o.verdict.scenario) for o in outcomes
    }
    assert {client for client, _ in found} == {ATTACKER}
    outcome = next(o for o in outcomes if o.verdict.scenario == kind)
    assert outcome.request.origin == "log"
    assert outcome.request.reason == kind
    assert outcome.request.events >= 2
    assert outcome.request.first_seen <= outcome.request.last_seen
    assert run.skipped == 0


def test_waf_keeps_blocking_scenario_from_waf_logs():
    records = [
        samples.waf_record(
            at(i * 5), ATTACKER, "/login", "BLOCK", rule="AWS-AWSManagedRulesCommonRuleSet"
        )
        for i in range(15)
    ]
    records += [samples.waf_record(at(i * 7), "198.51.100.7", "/", "ALLOW") for i in range(50)]
    found, outcomes, _ = replay(samples.waf_object(records))
    assert found == {(ATTACKER, "waf_blocked")}
    assert outcomes[0].verdict.source == "waf"


def test_alb_logs_feed_the_same_scenarios():
    lines = [
        samples.alb_line(at(i), ATTACKER, "/search", 200, "q=%27%20OR%201=1--") for i in range(3)
    ]
    lines += [samples.alb_line(at(i), "198.51.100.9", "/", 200) for i in range(100)]
    found, _, _ = replay(samples.alb_object(lines))
    assert found == {(ATTACKER, "sqli_probing")}


def test_bucket_runs_on_log_timestamps_not_arrival():
    # The same 36 probes: in 18 s they overflow; one every 20 s drains faster than it fills.
    burst = attack("path_probing")
    slow = [
        samples.cloudfront_line(
            at(i * 20), ATTACKER, f"/probe-{chr(97 + i % 26)}{chr(97 + i // 26)}", 404
        )
        for i in range(36)
    ]
    assert replay(samples.cloudfront_object(burst))[0] == {(ATTACKER, "path_probing")}
    assert replay(samples.cloudfront_object(slow))[0] == set()


# ----------------------------------------------------------------- benign traffic


def assert_not_banned(lines: list[str]) -> None:
    """Every line parsed, and no decision for it (so an empty result is not a parse failure)."""
    found, _, run = replay(samples.cloudfront_object(lines))
    assert (run.lines, run.skipped) == (len(lines), 0)
    assert found == set()


def test_busy_office_nat_is_not_banned():
    """600 people behind one address: pages, assets, 304s, a few 404s, over an hour."""
    rng = random.Random(3)
    office = "192.0.2.10"
    lines = []
    for _ in range(30000):
        t = rng.random() * 3600
        uri = rng.choice(
            [
                "/",
                "/dashboard",
                "/account/settings",
                "/api/v2/me",
                "/static/app.js",
                "/static/app.css",
                "/static/logo.svg",
                "/docs/getting-started",
            ]
        )
        status = 304 if uri.startswith("/static") and rng.random() < 0.5 else 200
        if rng.random() < 0.01:
            uri, status = f"/docs/{rng.choice(['old-page', 'v1', 'faq-2019'])}", 404
        ua = rng.choice(
            [
                samples.BROWSER,
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) "
                "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
            ]
        )
        lines.append(samples.cloudfront_line(at(t), office, uri, status, ua=ua))
    assert_not_banned(lines)


def test_heavy_api_client_is_not_banned():
    """A billing sync at 30 requests/s for 20 minutes, 5% of lookups 404."""
    rng = random.Random(4)
    lines = [
        samples.cloudfront_line(
            at(i / 30),
            "192.0.2.20",
            f"/api/v2/invoices/{rng.randrange(10**6)}",
            404 if rng.random() < 0.05 else 200,
            "expand=lines",
            ua="acme-billing-sync/4.2.1 python-requests/2.32.3",
        )
        for i in range(36000)
    ]
    assert_not_banned(lines)


def test_crawler_with_occasional_404s_is_not_banned():
    rng = random.Random(5)
    ua = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
    lines = []
    for i in range(4000):
        uri, status = f"/blog/post-{i}", 200
        if rng.random() < 0.03:
            uri, status = f"/blog/removed-post-{i}", 404
        lines.append(samples.cloudfront_line(at(i * 0.9), "192.0.2.30", uri, status, ua=ua))
    assert_not_banned(lines)


def test_304_revalidations_are_not_banned():
    lines = [
        samples.cloudfront_line(at(i / 40), "192.0.2.40", f"/api/catalog/{i % 50}", 304)
        for i in range(20000)
    ]
    assert_not_banned(lines)


def test_static_asset_bursts_are_not_banned():
    """A page with hundreds of assets, reloaded hard, some assets missing (404)."""
    lines = []
    for load in range(60):
        for k in range(300):
            uri = f"/static/img/product-{k}.webp" if k % 10 else f"/static/js/chunk-{k}.js"
            status = 404 if k % 37 == 0 else 200
            lines.append(
                samples.cloudfront_line(at(load * 10 + k * 0.01), "192.0.2.50", uri, status)
            )
    assert_not_banned(lines)


# ----------------------------------------------------------------- settings


def test_operator_overrides_change_the_outcome():
    lines = attack("sqli_probing")
    body = samples.cloudfront_object(lines)
    off = DetectionSettings.from_json('{"sqli_probing": {"enabled": false}}')
    assert replay(body, settings=off)[0] == set()
    strict = DetectionSettings.from_json('{"sqli_probing": {"capacity": 10}}')
    assert replay(body, settings=strict)[0] == set()
    captcha = DetectionSettings.from_json(
        '{"sqli_probing": {"action": "captcha", "ban_minutes": 30}}'
    )
    _, outcomes, _ = replay(body, settings=captcha)
    assert outcomes[0].request.action == "captcha"
    assert outcomes[0].request.duration == timedelta(minutes=30)


@pytest.mark.parametrize(
    "text",
    [
        '{"nope": {}}',
        '{"sqli_probing": {"capacity": -1}}',
        '{"sqli_probing": {"action": "kill"}}',
        "[1]",
        "{",
        '{"flood": 1}',
    ],
)
def test_bad_overrides_are_refused_with_a_clear_error(text):
    with pytest.raises(SettingsError):
        DetectionSettings.from_json(text)


def test_ipv6_clients_are_judged_per_64():
    lines = [
        samples.cloudfront_line(at(i * 2), f"2001:db8:1:2::{i + 1:x}", p, 404)
        for i, p in enumerate(["/.env", "/.git/HEAD", "/wp-config.php.bak"])
    ]
    _, outcomes, _ = replay(samples.cloudfront_object(lines))
    assert [(o.result.decision.value, o.verdict.scenario) for o in outcomes] == [
        ("2001:db8:1:2::/64", "sensitive_files")
    ]


def test_upper_case_and_encoded_payloads_are_inspected():
    line = samples.cloudfront_line
    lines = [
        line(at(0), ATTACKER, "/.ENV", 404),
        line(at(1), ATTACKER, "/%2e%67it/config", 404),  # ".git" with encoded letters
        line(at(2), ATTACKER, "/BACKUP.SQL", 404),
        line(at(3), "203.0.113.67", "/p", 200, "id=1+UNION+ALL+SELECT+NULL,NULL--"),
        line(at(4), "203.0.113.67", "/p", 200, "id=1%2527%2520OR%2520%25271%2527%253D%25271"),
        line(at(5), "203.0.113.67", "/p", 200, "id=1;WAITFOR%20DELAY%20'0:0:5'--"),
    ]
    found, _, _ = replay(samples.cloudfront_object(lines))
    assert found == {(ATTACKER, "sensitive_files"), ("203.0.113.67", "sqli_probing")}
