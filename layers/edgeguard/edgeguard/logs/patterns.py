"""What makes a request an event of each scenario: the patterns, statuses and methods.

Plain text and tuples, no polars: ``logs.scenarios`` matches them on the parsed table
in Lambda and ``edgeguard replay``; ``hunt.sql`` writes the same ones into the Athena
(Trino) SQL of ``edgeguard hunt``, so a pattern changed here changes both.
"""

from __future__ import annotations

import re

STATIC = (
    r"(?i)\.(?:css|js|mjs|map|png|jpe?g|gif|webp|avif|svg|ico|bmp|woff2?|ttf|otf|eot"
    r"|mp4|webm|mp3|m4a|wav|ogg)$"
)
PROBE_STATUSES = (400, 403, 404, 405, 410)

SENSITIVE = (
    r"(?i)(?:/\.(?:env|git|svn|hg|bzr|aws|ssh|docker|npmrc|pypirc|netrc|htpasswd|htaccess|"
    r"ds_store|vscode|idea|kube|bash_history|mysql_history|boto)(?:[/.~_-]|$|\?)"
    r"|/(?:wp-config\.php|configuration\.php|config\.inc\.php|localsettings\.php|database\.yml|"
    r"secrets?\.(?:ya?ml|json)|credentials(?:\.json|\.xml)?|id_(?:rsa|dsa|ecdsa|ed25519)|"
    r"web\.config|server-(?:status|info)|phpinfo\.php|info\.php|docker-compose\.ya?ml|"
    r"actuator/(?:env|heapdump|configprops|mappings|threaddump)|elmah\.axd|trace\.axd|"
    r"sftp-config\.json|\.?bash_history)(?:$|[/?.~])"
    r"|/(?:backups?|db|dump|database|site|www|wwwroot|web|html|public_html|htdocs|data|archive|"
    r"old|src|source|sql)[\w.-]*\.(?:zip|rar|7z|tar|tar\.gz|tgz|gz|sql|bak)(?:$|\?)"
    r"|\.(?:sql|bak|backup|old|orig|save|swp|sqlite3?|pem|key|p12|pfx|kdbx|tfstate)(?:$|\?))"
)
TRAVERSAL = (
    r"(?i)(?:\.\.[/\\]|[/\\]\.\.(?:$|[/\\?&])|=\.\.(?:$|[/\\&])|\x00|%c0%a[ef]|%e0%80%ae"
    r"|/etc/(?:passwd|shadow|hosts|group)\b|(?:^|[/\\=])(?:win\.ini|boot\.ini)\b"
    r"|windows[/\\]system32|proc/self/(?:environ|cmdline))"
)
SQLI = (
    r"(?i)(?:\bunion\b[\s(]+(?:all\s+|distinct\s+)?select\b"
    r"|\bselect\b.{1,120}?\bfrom\b.{1,120}?(?:information_schema|pg_catalog|sysobjects|mysql\.user|\bdual\b)"
    r"|['\"`]\s*(?:or|and|\|\||&&)\s*['\"(]?\s*\w+\s*['\"]?\s*(?:=|<|>|\blike\b)"
    r"|['\"`]\s*(?:or|and)\s+\d+\s*=\s*\d+|\bor\s+1\s*=\s*1\b"
    r"|\b(?:sleep|benchmark|pg_sleep)\s*\(|\bwaitfor\s+delay\b|\b(?:extractvalue|updatexml|load_file)\s*\("
    r"|\binto\s+(?:out|dump)file\b|['\"`]\s*(?:--|#|/\*)|;\s*(?:drop|shutdown|exec|truncate)\s"
    r"|@@version|\bxp_cmdshell\b)"
)
XSS = (
    r"(?i)(?:<\s*/?\s*(?:script|iframe|svg|img|body|object|embed|math|details|marquee|video|audio|"
    r"link|meta|style|base|form|input)\b|\b(?:java|vb)script\s*:|\bon(?:error|load|mouseover|focus|"
    r"click|toggle|begin|animationstart|pointerenter)\s*=|\b(?:alert|prompt|confirm)\s*\("
    r"|document\.(?:cookie|domain|location)|string\.fromcharcode|\beval\s*\()"
)
# Matched on the URL-decoded user agent (CloudFront logs encode spaces as %20), once
# per distinct agent. Each name is a tool's own default user agent or part of it:
# "Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)",
# "masscan/1.3 (https://github.com/robertdavidgraham/masscan)", "Mozilla/5.0 zgrab/0.x",
# "Fuzz Faster U Fool v2.1.0", "DirBuster-1.0-RC1", "Mozilla/4.0 (Hydra)", ...
SCANNERS = (
    r"(?i)(?:sqlmap|nikto|\bnmap\b|masscan|zgrab|nuclei|gobuster|dirbuster|\bdirb\b|dirsearch|"
    r"wpscan|acunetix|netsparker|invicti|nessus|openvas|\bw3af\b|whatweb|feroxbuster|\bffuf\b|"
    r"fuzz faster u fool|jaeles|zmeu|morfeus|fimap|havij|commix|jorgee|l9explore|l9tcpid|"
    r"xsstrike|arachni|skipfish|wfuzz|appscan|webinspect|\bhydra\b|sqlninja|bbqsql|"
    r"burpcollaborator|interactsh|projectdiscovery|struts-pwn|webshag|censysinspect|"
    r"\bparos\b|joomscan|droopescan|\bcmsmap\b)"
)
# A flood repeats one request; a heavy integration walks distinct resources.
FLOOD_KEY = ["client", "ts", "method", "path"]
AUTH_FAILURES = (401, 403)
CREDENTIAL_METHODS = ("POST", "PUT", "PATCH")

# path_probing counts distinct path shapes: ids (numbers, UUIDs, long hex) become "#".
PATH_SHAPE = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{12,}|\d+"

# Every payload pattern above needs one of these substrings in the raw path or query
# (an encoded character always brings a "%"), so the patterns only run on the few
# rows that have one; the bulk of a log is skipped by one native literal scan.
PAYLOAD_TOKENS = [
    "%",
    "+",
    "..",
    "\x00",
    "\\",
    "/.",
    "/etc/",
    "win.ini",
    "boot.ini",
    "system32",
    "proc/self",
    "union",
    "select",
    "'",
    '"',
    "`",
    "sleep",
    "benchmark",
    "waitfor",
    "extractvalue",
    "updatexml",
    "load_file",
    "outfile",
    "dumpfile",
    ";",
    "@@",
    "xp_cmdshell",
    "<",
    "(",
    "script",
    "onerror",
    "onload",
    "onmouseover",
    "onfocus",
    "onclick",
    "ontoggle",
    "onbegin",
    "onanimationstart",
    "onpointerenter",
    "document.",
    "fromcharcode",
    "config",
    "localsettings",
    "database.yml",
    "secret",
    "credentials",
    "id_",
    "server-",
    "phpinfo",
    "info.php",
    "docker-compose",
    "actuator",
    "elmah",
    "trace.axd",
    "history",
    ".zip",
    ".rar",
    ".7z",
    ".tar",
    ".tgz",
    ".gz",
    ".sql",
    ".bak",
    ".backup",
    ".old",
    ".orig",
    ".save",
    ".swp",
    ".sqlite",
    ".pem",
    ".key",
    ".p12",
    ".pfx",
    ".kdbx",
    ".tfstate",
]
# One case-sensitive alternation of the tokens in lower, UPPER and Capitalized form:
# the regex engine scans for it natively several times faster than a case-insensitive
# match. An attack written only in letters of mixed case (no encoded or special
# character at all) is not inspected; every payload pattern needs such a character
# except the sensitive-file names.
PAYLOAD_PREFILTER = "|".join(
    re.escape(variant)
    for variant in sorted(
        {v for token in PAYLOAD_TOKENS for v in (token, token.upper(), token.capitalize())}
    )
)
PAYLOAD_PATTERNS = {
    "sensitive_files": SENSITIVE,
    "path_traversal": TRAVERSAL,
    "sqli_probing": SQLI,
    "xss_probing": XSS,
}


def login_path_pattern(paths: tuple[str, ...]) -> str:
    """One case-insensitive regex matching any of ``paths`` exactly (a trailing ``/``
    allowed); ``*`` matches within one path segment.
    """
    alternatives = (re.escape(p.rstrip("/") or "/").replace(r"\*", "[^/]*") for p in paths)
    return rf"(?i)^(?:{'|'.join(alternatives)})/?$"
