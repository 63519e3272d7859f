"""Labelled traffic for the detection evaluation: one hour of a SaaS site's requests,
every client labelled benign or attacker, and for an attacker the scenario that
must ban it.

Benign kinds are the look-alikes of the attacks: ordinary browsers (with the odd
404 and mistyped password), office NATs of 150 users with many user agents,
API clients that burst over distinct URLs every few minutes, a heavy integration
at 30 requests/s for 20 minutes, search-engine crawlers with 404s, mobile apps that
poll and retry behind carrier-grade NAT, uptime monitors with curl, an integration
whose token expired, users who mistype a password. Attack kinds: a flood of one
URL (also with a cache-busting query), single-request scanners (masscan, zgrab) and
busier ones, login brute force fast and slow, HTTP basic-auth guessing, content
discovery, sensitive files, SQL injection, XSS and path traversal.

``generate(lines, seed)`` returns the clients and their requests (about ``lines``:
the fixed kinds first, ordinary browsers fill the rest); rendering into log formats
is ``bench.detection``'s job.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

HOUR = 3600.0


@dataclass(frozen=True)
class Request:
    """One request: seconds from the start of the hour, the client and what it asked."""

    t: float
    ip: str
    method: str
    path: str
    query: str
    status: int
    ua: str


@dataclass(frozen=True)
class Client:
    """A labelled client: its kind, and the scenario that must ban it ("" = benign)."""

    ip: str
    kind: str
    expected: str = ""

    @property
    def attacker(self) -> bool:
        """True for a client that must be banned."""
        return bool(self.expected)


@dataclass
class Corpus:
    """The clients and their requests, in time order after ``finish``."""

    clients: list[Client] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)

    def finish(self) -> Corpus:
        """Requests sorted by time, kept within the hour."""
        self.requests = sorted((r for r in self.requests if 0 <= r.t < HOUR), key=lambda r: r.t)
        return self


CHROME = "Mozilla/5.0 ({os}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 Safari/537.36"
SYSTEMS = (
    "Windows NT 10.0; Win64; x64",
    "Macintosh; Intel Mac OS X 10_15_7",
    "X11; Linux x86_64",
)
SAFARI = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/{v}.1 Safari/605.1.15"
)
FIREFOX = "Mozilla/5.0 ({os}; rv:{v}.0) Gecko/20100101 Firefox/{v}.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS {v}_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/{v}.1 Mobile/15E148 Safari/604.1"
)
ANDROID = (
    "Mozilla/5.0 (Linux; Android {v}; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.6778.81 Mobile Safari/537.36"
)
BROWSERS = tuple(
    [CHROME.format(os=os, v=v) for os in SYSTEMS for v in range(124, 132)]
    + [SAFARI.format(v=v) for v in (16, 17, 18)]
    + [FIREFOX.format(os=os, v=v) for os in SYSTEMS for v in (128, 131, 132, 133)]
    + [IPHONE.format(v=v) for v in (16, 17, 18)]
    + [ANDROID.format(v=v) for v in (12, 13, 14, 15)]
)
CRAWLERS = (
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
)
SCANNER_AGENTS = (
    "Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:000003)",
    "Nuclei - Open-source project (github.com/projectdiscovery/nuclei)",
    "sqlmap/1.8.11#stable (https://sqlmap.org)",
    "WPScan v3.8.25 (https://wpscan.com/wordpress-security-scanner)",
    "gobuster/3.6",
    "Fuzz Faster U Fool v2.1.0-dev",
    "Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)",
    "feroxbuster/2.10.4",
)
PAGES = (
    "/",
    "/pricing",
    "/features",
    "/docs/getting-started",
    "/docs/api/webhooks",
    "/blog/2026/scaling-fargate",
    "/blog/2026/zero-downtime",
    "/dashboard",
    "/account/settings",
    "/projects",
    "/search",
    "/contact",
)
ASSETS = (
    "/static/js/app.3f9a1c.js",
    "/static/js/vendor.a81d02.js",
    "/static/css/main.77b2e0.css",
    "/static/img/logo.svg",
    "/static/fonts/inter-var.woff2",
    "/favicon.ico",
    "/static/img/hero@2x.webp",
)
SEARCHES = (
    "q=pricing",
    "q=O%27Brien+invoices",
    "q=select+a+plan",
    "q=union+members+discount",
    "q=rock+%27n%27+roll",
    "q=how+to+drop+a+project",
    "q=%22exact+phrase%22",
    "q=1%3D1+meeting+notes",
)
PROBE_WORDS = [
    "admin",
    "administrator",
    "wp-login.php",
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
    "panel",
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
    "mysql",
    "pma",
    "shell",
    "cmd",
    "conf",
    "data",
    "files",
    "internal",
    "actuator",
    "graphql",
    "swagger.json",
    "api-docs",
    "v1",
    "v2",
    "beta",
    "hidden",
    "secret-admin",
]
SENSITIVE = (
    "/.env",
    "/.git/config",
    "/.aws/credentials",
    "/backup.sql",
    "/server-status",
    "/wp-config.php.bak",
    "/config/database.yml",
    "/.DS_Store",
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
TRAVERSAL = (
    ("/static/..%2f..%2f..%2fetc%2fpasswd", ""),
    ("/download", "file=..%2F..%2F..%2Fetc%2Fpasswd"),
    ("/files/%252e%252e%252fwin.ini", ""),
)
# First octets of ordinary public unicast space (no private, shared or reserved range).
OCTETS = (23, 31, 37, 45, 62, 78, 81, 89, 91, 104, 109, 151, 176, 185, 188, 193, 212, 217)


class _Builder:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.corpus = Corpus()
        self._used: set[str] = set()

    def address(self) -> str:
        rng = self.rng
        while True:
            ip = (
                ".".join(map(str, (rng.choice(OCTETS), rng.randrange(256), rng.randrange(256))))
                + f".{rng.randrange(1, 255)}"
            )
            if ip not in self._used:
                self._used.add(ip)
                return ip

    def client(self, kind: str, expected: str = "") -> str:
        ip = self.address()
        self.corpus.clients.append(Client(ip, kind, expected))
        return ip

    def add(
        self,
        t: float,
        ip: str,
        path: str,
        status: int = 200,
        query: str = "",
        ua: str = BROWSERS[0],
        method: str = "GET",
    ) -> None:
        self.corpus.requests.append(Request(t, ip, method, path, query, status, ua))

    # ------------------------------------------------------------- benign

    def page_view(self, t: float, ip: str, ua: str, warm: bool) -> float:
        """One page with its assets (304 when the cache is warm) and an API call or two."""
        rng = self.rng
        page = rng.choice(PAGES)
        query = rng.choice(SEARCHES) if page == "/search" else ""
        status = 404 if rng.random() < 0.01 else 200
        if status == 404:
            page = f"/blog/{rng.choice(('2019', '2020'))}/removed-post-{rng.randrange(50)}"
        self.add(t, ip, page, status, query, ua)
        for asset in rng.sample(ASSETS, rng.randrange(2, len(ASSETS))):
            t += rng.random() * 0.3
            self.add(t, ip, asset, 304 if warm and rng.random() < 0.7 else 200, ua=ua)
        for _ in range(rng.randrange(0, 3)):
            t += rng.random() * 0.5
            self.add(t, ip, f"/api/v2/projects/{rng.randrange(5000)}", 200, ua=ua)
        return t

    def login(self, t: float, ip: str, ua: str, mistakes: int) -> float:
        for _ in range(mistakes):
            self.add(t, ip, "/api/v1/login", 401, ua=ua, method="POST")
            t += 4 + self.rng.random() * 10
        self.add(t, ip, "/api/v1/login", 200, ua=ua, method="POST")
        return t + 1

    def browser(self) -> None:
        rng = self.rng
        ip = self.client("browser")
        ua = rng.choice(BROWSERS)
        t = rng.random() * HOUR * 0.9
        if rng.random() < 0.2:
            t = self.login(t, ip, ua, mistakes=1 if rng.random() < 0.2 else 0)
        for view in range(rng.randrange(3, 15)):
            t = self.page_view(t, ip, ua, warm=view > 0) + rng.expovariate(1 / 20)

    def office_nat(self) -> None:
        """150 people behind one address: about 8 requests/s at the peak, many agents."""
        rng = self.rng
        ip = self.client("office_nat")
        users = [rng.choice(BROWSERS) for _ in range(150)]
        peak = rng.random() * (HOUR - 900)
        t = 0.0
        while t < HOUR:
            ua = rng.choice(users)
            if rng.random() < 0.01:
                t = self.login(t, ip, ua, mistakes=rng.randrange(0, 4))
            # Page views start at ~1/s in the peak quarter hour (each ~7 requests), ~0.4/s else.
            busy = peak <= t < peak + 900
            self.page_view(t, ip, ua, warm=rng.random() < 0.8)
            t += rng.expovariate(1.1 if busy else 0.4)

    def api_bursts(self) -> None:
        """12 requests/s over distinct URLs for 3-8 s, every 5 minutes."""
        rng = self.rng
        ip = self.client("api_burst")
        ua = "acme-reports/1.4 Go-http-client/2.0"
        for start in range(int(rng.random() * 300), int(HOUR), 300):
            for k in range(rng.randrange(36, 97)):
                path = f"/api/v2/invoices/{rng.randrange(10**6)}"
                self.add(start + k / 12, ip, path, 200, "expand=lines", ua)

    def heavy_integration(self) -> None:
        """30 requests/s for 20 minutes over distinct resources, 5 % of lookups 404."""
        rng = self.rng
        ip = self.client("heavy_integration")
        ua = "acme-billing-sync/4.2.1 python-requests/2.32.3"
        start = rng.random() * (HOUR - 1200)
        for i in range(36000):
            status = 404 if rng.random() < 0.05 else 200
            path = f"/api/v2/invoices/{rng.randrange(10**7)}"
            self.add(start + i / 30, ip, path, status, "expand=lines", ua)

    def crawler(self, ua: str, rate: float) -> None:
        rng = self.rng
        ip = self.client("crawler")
        t = 0.0
        while t < HOUR:
            if rng.random() < 0.03:
                self.add(t, ip, f"/blog/old-post-{rng.randrange(10**5)}", 404, ua=ua)
            else:
                self.add(t, ip, f"/blog/post-{rng.randrange(10**5)}", 200, ua=ua)
            t += rng.expovariate(rate)

    def mobile_cgnat(self, devices: int) -> None:
        """App installs behind one carrier-grade NAT address: each polls its feed every
        minute and opens items; a 503 is retried up to 3 times with backoff.
        """
        rng = self.rng
        ip = self.client("mobile_cgnat")
        for _ in range(devices):
            ua = f"AcmeApp/5.{rng.randrange(8)}.{rng.randrange(3)} (iPhone; iOS 18.1) okhttp/4.12.0"
            t = rng.random() * 60
            while t < HOUR:
                path = (
                    "/api/v2/feed" if rng.random() < 0.6 else f"/api/v2/items/{rng.randrange(9000)}"
                )
                wait = 0.5
                for _ in range(4):
                    status = 503 if rng.random() < 0.03 else 200
                    self.add(t, ip, path, status, ua=ua)
                    if status != 503:
                        break
                    t += wait
                    wait *= 2
                t += rng.expovariate(1 / 45)

    def monitor(self) -> None:
        ip = self.client("uptime_monitor_curl")
        for i in range(int(HOUR / 10)):
            self.add(i * 10.0, ip, "/health", 200, ua="curl/8.5.0")

    def mistyper(self) -> None:
        rng = self.rng
        ip = self.client("password_mistyper")
        ua = rng.choice(BROWSERS)
        t = self.login(rng.random() * HOUR * 0.8, ip, ua, mistakes=3)
        for _ in range(rng.randrange(3, 10)):
            t = self.page_view(t, ip, ua, warm=True) + rng.expovariate(1 / 15)

    def expired_token(self) -> None:
        """An integration whose token expired: every read answered 401, 2/s for 10 minutes."""
        rng = self.rng
        ip = self.client("expired_token_integration")
        start = rng.random() * (HOUR - 600)
        for i in range(1200):
            path = f"/api/v2/orders/{rng.randrange(10**6)}"
            self.add(start + i / 2, ip, path, 401, ua="acme-sync/2.0 python-httpx/0.27")

    # ------------------------------------------------------------- attacks

    def flood(self, cache_busting: bool = False) -> None:
        """One URL at 25-35 requests/s for 2-3 minutes; the origin fails now and then."""
        rng = self.rng
        ip = self.client("flood_cache_busting" if cache_busting else "flood", "request_flood")
        rate, seconds = rng.uniform(25, 35), rng.uniform(120, 180)
        start, ua = rng.random() * (HOUR - 200), rng.choice(BROWSERS)
        for i in range(int(rate * seconds)):
            status = rng.choice((502, 503, 504)) if rng.random() < 0.08 else 200
            query = f"nocache={rng.randrange(10**9)}" if cache_busting else ""
            self.add(start + i / rate, ip, "/search" if cache_busting else "/", status, query, ua)

    def one_shot_scanner(self, ua: str, requests: int, kind: str) -> None:
        ip = self.client(kind, "scanner_user_agent")
        t = self.rng.random() * HOUR
        for i in range(requests):
            self.add(t + i, ip, "/" if i == 0 else "/robots.txt", 200, ua=ua)

    def scanner(self, ua: str) -> None:
        rng = self.rng
        ip = self.client("scanner", "scanner_user_agent")
        t = rng.random() * (HOUR - 300)
        for _ in range(rng.randrange(5, 120)):
            self.add(t, ip, f"/{rng.choice(PROBE_WORDS)}", 404, ua=ua)
            t += rng.random() * 2

    def login_bruteforce(self, per_minute: float, minutes: float, kind: str) -> None:
        rng = self.rng
        ip = self.client(kind, "auth_bruteforce")
        t, end = rng.random() * (HOUR - minutes * 60), minutes * 60
        start = t
        while t < start + end:
            self.add(t, ip, "/api/v1/login", 401, ua="python-requests/2.32.3", method="POST")
            t += rng.expovariate(per_minute / 60)

    def basic_auth_guessing(self) -> None:
        rng = self.rng
        ip = self.client("basic_auth_guessing", "auth_bruteforce")
        t = rng.random() * (HOUR - 300)
        for i in range(60):
            self.add(t + i * 3, ip, "/wp-login.php", 403, ua=rng.choice(BROWSERS))

    def prober(self) -> None:
        rng = self.rng
        ip = self.client("path_probing", "path_probing")
        t, ua = rng.random() * (HOUR - 600), rng.choice(BROWSERS)
        for word in rng.sample(PROBE_WORDS, rng.randrange(35, len(PROBE_WORDS))):
            self.add(t, ip, f"/{word}{rng.choice(('', '.php', '.bak', '/'))}", 404, ua=ua)
            t += rng.random() * 1.5

    def slow_prober(self) -> None:
        """One sensitive file every 7-9 minutes for the hour: the bucket (capacity 2,
        drain 0.2 a minute) drains each request before the next, so it never overflows."""
        rng = self.rng
        ip = self.client("slow_prober", "sensitive_files")
        t, ua = rng.random() * 120, rng.choice(BROWSERS)
        while t < HOUR:
            self.add(t, ip, rng.choice(SENSITIVE), 404, ua=ua)
            t += rng.uniform(420, 540)

    def payloads(self, kind: str) -> None:
        rng = self.rng
        ip = self.client(kind, kind)
        t, ua = rng.random() * (HOUR - 600), rng.choice(BROWSERS)
        for _ in range(rng.randrange(3, 12)):
            if kind == "sensitive_files":
                self.add(t, ip, rng.choice(SENSITIVE), 404, ua=ua)
            elif kind == "sqli_probing":
                self.add(t, ip, "/search", 200, rng.choice(SQLI), ua)
            elif kind == "xss_probing":
                self.add(t, ip, "/search", 200, rng.choice(XSS), ua)
            else:
                path, query = rng.choice(TRAVERSAL)
                self.add(t, ip, path, 400, query, ua)
            t += rng.random() * 20


def generate(lines: int, seed: int, slow_probers: int = 0) -> Corpus:
    """About ``lines`` labelled requests over one hour (the fixed kinds need ~110,000).

    ``slow_probers``: that many clients (kind ``slow_prober``) asking for one sensitive
    file every 7-9 minutes: under the bucket's drain, so no per-file analysis bans them;
    only a hunt over the window (``edgeguard hunt``, a ``slow`` finding) does. Added after
    every other client, so the rest of the corpus is the same with or without them.
    """
    b = _Builder(seed)
    for _ in range(2):
        b.office_nat()
    for _ in range(3):
        b.api_bursts()
    b.heavy_integration()
    b.crawler(CRAWLERS[0], 1.0)
    b.crawler(CRAWLERS[1], 0.4)
    b.mobile_cgnat(devices=60)
    for _ in range(2):
        b.monitor()
    for _ in range(10):
        b.mistyper()
    b.expired_token()
    for _ in range(3):
        b.flood()
    b.flood(cache_busting=True)
    for _ in range(2):
        b.one_shot_scanner(
            "masscan/1.3 (https://github.com/robertdavidgraham/masscan)", 1, "masscan"
        )
        b.one_shot_scanner("Mozilla/5.0 zgrab/0.x", 2, "zgrab")
    for ua in SCANNER_AGENTS:
        b.scanner(ua)
    b.login_bruteforce(60, 2, "login_bruteforce")
    b.login_bruteforce(12, 15, "credential_stuffing_slow")
    b.basic_auth_guessing()
    for _ in range(3):
        b.prober()
    for kind in ("sensitive_files", "sqli_probing", "xss_probing", "path_traversal"):
        for _ in range(2):
            b.payloads(kind)
    while len(b.corpus.requests) < lines:
        b.browser()
    for _ in range(slow_probers):
        b.slow_prober()
    return b.corpus.finish()
