"""Nothing secret reaches a chat or a mailbox: redact credentials from sample requests.

A sample request ("GET /login?user=a&token=...", a URI, a user agent) comes from an
attacker-controlled log line and may carry a victim's credentials. ``redact_request``
replaces:

- the value of every query (or ``;`` matrix) parameter whose name looks sensitive
  (``SENSITIVE_NAMES``: token, key, password, session, auth, code, signature, the
  SigV4 query parameters X-Amz-Signature/Credential/Security-Token, ...);
- user:password in a URL's authority (``https://user:pw@host``);
- ``Bearer``/``Basic`` credentials;
- JSON Web Tokens (``eyJ...``) and long opaque strings: runs of at least
  ``OPAQUE_MIN`` (32) base64url/hex characters (``+``, percent escapes and ``=``
  padding included, ``/`` not: it separates path segments) that mix letters and digits.

Each becomes ``REDACTED`` ("[redacted]"). The function is idempotent and never raises.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

REDACTED = "[redacted]"
OPAQUE_MIN = 32
# Parameter names (lower case, without - _ .) containing one of these are sensitive.
SENSITIVE_NAMES = (
    "token",
    "key",
    "password",
    "passwd",
    "pwd",
    "pass",
    "secret",
    "session",
    "sid",
    "auth",
    "code",
    "signature",
    "sig",
    "jwt",
    "credential",
    "otp",
    "nonce",
    "ticket",
    "assertion",
    "saml",
    "cookie",
)

_PARAM = re.compile(r"(?P<sep>^|[?&;])(?P<name>[^=&;#?\s]+)=(?P<value>[^&;#\s]*)")
_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s:]*:[^/@\s]*@")
_SCHEME_CREDENTIAL = re.compile(r"(?i)\b(?P<scheme>bearer|basic|token)(?P<gap>\s+)[^\s,;]+")
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}(?:\.[A-Za-z0-9_-]*)?")
_OPAQUE = re.compile(
    rf"[A-Za-z0-9+/_-]{{{OPAQUE_MIN},}}=*|(?:%[0-9A-Fa-f]{{2}}|[A-Za-z0-9+/_-]){{{OPAQUE_MIN},}}"
)


def sensitive_name(name: str) -> bool:
    """Whether a parameter name looks like it carries a credential (case-insensitive,
    percent-decoded, ``-``/``_``/``.`` ignored): ``X-Amz-Signature``, ``access_token``,
    ``apiKey``, ``PHPSESSID``, ``code``..."""
    normal = re.sub(r"[-_.\[\]\s]", "", unquote(name)).lower()
    return any(marker in normal for marker in SENSITIVE_NAMES)


def _opaque(match: re.Match[str]) -> str:
    text = match.group(0)
    if REDACTED in text:
        return text
    plain = unquote(text)
    letters = any(c.isalpha() for c in plain)
    digits = any(c.isdigit() for c in plain)
    if letters and digits:
        return REDACTED
    return text


def redact_request(text: str) -> str:
    """``text`` with credentials replaced by ``[redacted]`` (see the module docstring).

    ``text`` is any string (a request line, URI or user agent); other characters are
    kept as they were. Idempotent.
    """
    text = str(text)
    text = _USERINFO.sub(lambda m: f"{m.group('scheme')}{REDACTED}@", text)
    text = _SCHEME_CREDENTIAL.sub(
        lambda m: (
            f"{m.group('scheme')}{m.group('gap')}{REDACTED}"
            if m.group(0)[len(m.group("scheme")) + len(m.group("gap")) :] != REDACTED
            else m.group(0)
        ),
        text,
    )
    text = _PARAM.sub(
        lambda m: (
            f"{m.group('sep')}{m.group('name')}={REDACTED}"
            if sensitive_name(m.group("name")) and m.group("value")
            else m.group(0)
        ),
        text,
    )
    text = _JWT.sub(REDACTED, text)
    return _OPAQUE.sub(_opaque, text)
