"""A realistic CloudFront standard (legacy) log: 33 tab-separated fields per line,
unique request ids, full user agents, benign traffic mixed with a few attackers.

Written once per size under .bench/ (gitignored) and reused.
"""

from __future__ import annotations

import base64
import gzip
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

FIELDS = (
    "date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status "
    "cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id "
    "x-host-header cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher "
    "x-edge-response-result-type cs-protocol-version fle-status fle-encrypted-fields c-port "
    "time-to-first-byte x-edge-detailed-result-type sc-content-type sc-content-len "
    "sc-range-start sc-range-end"
)

BROWSERS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.6778.81 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
)
CRAWLER = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
API_CLIENT = "acme-billing-sync/4.2.1 python-requests/2.32.3"
PAGES = (
    "/",
    "/pricing",
    "/docs/getting-started",
    "/blog/2026/scaling-fargate",
    "/login",
    "/account/settings",
    "/dashboard",
    "/docs/api/webhooks",
    "/careers",
    "/contact",
)
ASSETS = (
    "/static/js/app.3f9a1c.js",
    "/static/css/main.77b2e0.css",
    "/static/img/logo.svg",
    "/static/fonts/inter-var.woff2",
    "/favicon.ico",
    "/static/img/hero@2x.webp",
)
PROBES = tuple(
    f"/{stem}{suffix}"
    for stem in (
        "admin",
        "administrator",
        "wp-login",
        "phpmyadmin",
        "backup",
        "old",
        "test",
        "debug",
        "cgi-bin",
        "manager",
        "console",
        "solr",
        "jenkins",
        "setup",
        "install",
        "portal",
        "login",
        "panel",
        "cpanel",
        "webadmin",
        "adminer",
        "dashboard-old",
        "staging",
        "dev",
    )
    for suffix in ("", ".php", ".asp", ".aspx", ".jsp", ".html", "/", "/index.php")
)
SENSITIVE = (
    "/.env",
    "/.git/config",
    "/.aws/credentials",
    "/backup.sql",
    "/server-status",
    "/wp-config.php.bak",
    "/.DS_Store",
    "/config/database.yml",
)
SQLI = (
    "id=1%27%20OR%20%271%27=%271",
    "q=1%20UNION%20SELECT%20username,password%20FROM%20users--",
    "id=1%20AND%20SLEEP(5)",
    "sort=name%27;WAITFOR%20DELAY%20%270:0:5%27--",
)
XSS = (
    "q=%3Cscript%3Ealert(1)%3C/script%3E",
    "name=%22%3E%3Csvg/onload=alert(document.domain)%3E",
    "redirect=javascript:alert(1)",
)
TRAVERSAL = ("/static/..%2f..%2f..%2fetc%2fpasswd", "/download", "/files/%252e%252e%252fwin.ini")
EDGES = ("FRA56-P5", "IAD89-C1", "LHR61-P3", "NRT57-P2", "SFO53-P7", "GRU3-C2")
CIPHERS = ("TLS_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "TLS_AES_256_GCM_SHA384")


def _request_id(rng: random.Random) -> str:
    return base64.urlsafe_b64encode(rng.randbytes(42)).decode()


def _client(rng: random.Random) -> str:
    return (
        f"{rng.choice((23, 31, 45, 62, 81, 91, 104, 151, 176, 185))}.{rng.randrange(256)}."
        f"{rng.randrange(256)}.{rng.randrange(1, 255)}"
    )


def line(
    rng: random.Random,
    when: datetime,
    ip: str,
    ua: str,
    uri: str,
    status: int,
    query: str = "-",
    method: str = "GET",
    host: str = "d111111abcdef8.cloudfront.net",
) -> str:
    """One log line in the documented field order (user agent URL-encoded)."""
    result = (
        "Hit"
        if uri.startswith("/static") and status == 200
        else ("Error" if status >= 400 else "Miss")
    )
    size = rng.randrange(300, 90000) if status == 200 else rng.randrange(200, 900)
    ctype = "text/html" if not uri.startswith("/static") else "application/octet-stream"
    edge = rng.choice(EDGES)
    fields = (
        when.strftime("%Y-%m-%d"),
        when.strftime("%H:%M:%S"),
        edge,
        str(size),
        ip,
        method,
        host,
        uri,
        str(status),
        "https://www.example.com/pricing" if rng.random() < 0.5 else "-",
        quote(ua, safe="/;:(),.+_-"),
        query,
        "-",
        result,
        _request_id(rng),
        "www.example.com",
        "https",
        str(rng.randrange(80, 1500)),
        f"{rng.random() * 0.4:.3f}",
        "-",
        "TLSv1.3",
        rng.choice(CIPHERS),
        result,
        "HTTP/2.0",
        "-",
        "-",
        str(rng.randrange(1024, 65535)),
        f"{rng.random() * 0.3:.3f}",
        result,
        ctype,
        str(size),
        "-",
        "-",
    )
    return "\t".join(fields)


def generate(lines: int, seed: int = 7) -> bytes:
    """The raw log text (header + ``lines`` lines), sorted by time like a real file."""
    rng = random.Random(seed)
    start = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
    span = 3600
    benign = [(_client(rng), rng.choice(BROWSERS)) for _ in range(8000)]
    office, api, crawler = "81.2.69.142", "91.198.174.192", "66.249.66.1"
    attackers = {
        "probe": "45.155.205.233",
        "sensitive": "185.220.101.4",
        "sqli": "193.42.33.7",
        "xss": "103.145.13.2",
        "traversal": "194.26.29.11",
        "scanner": "141.98.10.55",
        "flood": "176.111.174.90",
    }
    rows: list[tuple[float, str]] = []
    for i in range(lines):
        t, method = rng.random() * span, "GET"
        kind = i % 1000
        if kind < 60:
            ip, ua = office, rng.choice(BROWSERS)
            uri = rng.choice(PAGES + ASSETS)
            status, query = (304 if rng.random() < 0.3 else 200), "-"
        elif kind < 100:
            ip, ua, uri = api, API_CLIENT, f"/api/v2/invoices/{rng.randrange(10**6)}"
            status = 404 if rng.random() < 0.05 else 200
            query = "expand=lines&currency=EUR"
        elif kind < 110:
            ip, ua = crawler, CRAWLER
            uri = rng.choice(PAGES) if rng.random() < 0.97 else f"/blog/old-post-{i}"
            status, query = (404 if uri.startswith("/blog/old") else 200), "-"
        elif kind < 140:
            ip, ua, uri, status, query = attackers["flood"], API_CLIENT, "/login", 200, "-"
            method, t = "POST", 1200 + rng.random() * 60
        elif kind < 142:
            name = rng.choice(tuple(attackers)[:-1])
            ip, t = attackers[name], rng.random() * 600
            ua, query, status = rng.choice(BROWSERS), "-", 404
            if name == "probe":
                uri = f"{rng.choice(PROBES)}{rng.randrange(1000)}"
            elif name == "sensitive":
                uri = rng.choice(SENSITIVE)
            elif name == "sqli":
                uri, query, status = "/search", rng.choice(SQLI), 200
            elif name == "xss":
                uri, query, status = "/search", rng.choice(XSS), 200
            elif name == "traversal":
                uri = rng.choice(TRAVERSAL)
                query = "file=..%2F..%2F..%2Fetc%2Fpasswd" if uri == "/download" else "-"
            elif name == "scanner":
                ua = "Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:000003)"
                uri = rng.choice(PAGES)
        else:
            ip, ua = rng.choice(benign)
            uri = rng.choice(PAGES + ASSETS + ASSETS)
            status = 304 if uri.startswith("/static") and rng.random() < 0.2 else 200
            query = "utm_source=newsletter&utm_medium=email" if rng.random() < 0.1 else "-"
        when = start + timedelta(seconds=t)
        rows.append((t, line(rng, when, ip, ua, uri, status, query, method)))
    rows.sort(key=lambda row: row[0])
    header = f"#Version: 1.0\n#Fields: {FIELDS}\n"
    return (header + "\n".join(text for _, text in rows) + "\n").encode()


def cached(lines: int, directory: Path = Path(".bench")) -> Path:
    """Path of the gzip sample with ``lines`` lines, generating it on first use."""
    directory.mkdir(exist_ok=True)
    path = directory / f"E2EXAMPLE.2026-11-20-14.{lines}.gz"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(gzip.compress(generate(lines), compresslevel=6))
        tmp.rename(path)
    return path


def _legacy_frame(lines: int):
    import polars as pl  # noqa: PLC0415

    names = FIELDS.split()
    return pl.read_csv(
        gzip.decompress(cached(lines).read_bytes()),
        separator="\t",
        has_header=False,
        comment_prefix="#",
        quote_char=None,
        new_columns=names,
        schema={name: pl.String for name in names},
    ).with_columns(
        pl.lit("DE").alias("c-country"), pl.lit("*").alias("cache-behavior-path-pattern")
    )


def cached_v2(lines: int, output: str, directory: Path = Path(".bench")) -> Path:
    """The same requests as ``cached(lines)`` in standard logging v2 output ``output``
    ("json": gzip JSON lines; "parquet": Parquet with Athena's column names), default
    fields (the legacy 33 plus c-country and cache-behavior-path-pattern).
    """
    suffix = "gz" if output == "json" else "parquet"
    path = directory / f"v2-{output}.{lines}.{suffix}"
    if not path.exists():
        frame = _legacy_frame(lines)
        tmp = path.with_suffix(".tmp")
        if output == "json":
            tmp.write_bytes(gzip.compress(frame.write_ndjson().encode(), compresslevel=6))
        else:
            athena = {
                n: n.replace("(", "_").replace(")", "").replace("-", "_").lower()
                for n in frame.columns
            }
            frame.rename(athena).write_parquet(tmp)
        tmp.rename(path)
    return path


def cached_many(lines: int, files: int, directory: Path = Path(".bench")) -> Path:
    """A directory of ``files`` gzip CloudFront logs holding the ``lines`` requests of
    ``cached(lines)`` between them (one per edge server per few minutes, as delivered).
    """
    target = directory / f"many-{files}.{lines}"
    if not target.exists():
        text = gzip.decompress(cached(lines).read_bytes()).split(b"\n")
        header, body = b"\n".join(text[:2]) + b"\n", [row for row in text[2:] if row]
        tmp = directory / f"many-{files}.{lines}.tmp"
        tmp.mkdir(exist_ok=True)
        per = -(-len(body) // files)
        for index in range(files):
            chunk = body[index * per : (index + 1) * per]
            name = f"E2EXAMPLE.2026-11-20-14.{index:05d}.gz"
            (tmp / name).write_bytes(gzip.compress(header + b"\n".join(chunk) + b"\n", 6))
        tmp.rename(target)
    return target
