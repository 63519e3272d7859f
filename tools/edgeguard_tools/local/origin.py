"""A stand-in for the ALB behind the REGIONAL web ACL, on 127.0.0.1.

It admits a request only when the web ACL, read from moto's wafv2 at that moment,
would allow it: rules in priority order, the first whose statement matches decides
(Allow/Block/Count), otherwise the default action. Statements understood: a
ByteMatchStatement on a single header (positional constraints EXACTLY, STARTS_WITH,
ENDS_WITH, CONTAINS; text transformations NONE and LOWERCASE) and And/Or/Not of those;
any other statement never matches. That is the shape of the origin-verify rule
(current secret, plus the pending one during rotation), so a test can rotate the
secret and see whether CloudFront's header would ever be refused.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler
from typing import Any

from edgeguard_tools.local.loopback import LoopbackServer, QuietHandler

AclReader = Callable[[], dict[str, Any]]


def origin_acl_from_template(wafv2: Any, ref: str) -> AclReader:
    """Read the web ACL whose CloudFormation Ref is ``name|id|scope`` afresh on every call."""
    name, acl_id, scope = ref.split("|")

    def read() -> dict[str, Any]:
        return dict(wafv2.get_web_acl(Name=name, Scope=scope, Id=acl_id)["WebACL"])

    return read


def _search_string(statement: dict[str, Any]) -> bytes:
    value = statement.get("SearchString", b"")
    if isinstance(value, str):
        return value.encode()
    if "SearchStringBase64" in statement:
        return base64.b64decode(statement["SearchStringBase64"])
    return bytes(value)


def _transform(value: bytes, statement: dict[str, Any]) -> bytes:
    for transformation in sorted(
        statement.get("TextTransformations", []), key=lambda t: t.get("Priority", 0)
    ):
        if transformation.get("Type") == "LOWERCASE":
            value = value.lower()
    return value


def statement_matches(statement: dict[str, Any], headers: Mapping[str, str]) -> bool:
    """Whether a WAF statement matches a request with these headers (case-insensitive names)."""
    if "OrStatement" in statement:
        return any(statement_matches(s, headers) for s in statement["OrStatement"]["Statements"])
    if "AndStatement" in statement:
        return all(statement_matches(s, headers) for s in statement["AndStatement"]["Statements"])
    if "NotStatement" in statement:
        return not statement_matches(statement["NotStatement"]["Statement"], headers)
    byte_match = statement.get("ByteMatchStatement")
    if byte_match is None:
        return False
    header = (byte_match.get("FieldToMatch") or {}).get("SingleHeader", {}).get("Name")
    if not header:
        return False
    lowered = {key.lower(): value for key, value in headers.items()}
    if header.lower() not in lowered:
        return False
    value = _transform(lowered[header.lower()].encode(), byte_match)
    wanted = _search_string(byte_match)
    constraint = byte_match.get("PositionalConstraint", "EXACTLY")
    return {
        "EXACTLY": value == wanted,
        "STARTS_WITH": value.startswith(wanted),
        "ENDS_WITH": value.endswith(wanted),
        "CONTAINS": wanted in value,
    }.get(constraint, False)


def evaluate(acl: dict[str, Any], headers: Mapping[str, str]) -> tuple[str, str | None]:
    """(ALLOW|BLOCK, deciding rule name or None for the default action)."""
    for rule in sorted(acl.get("Rules", []), key=lambda r: r.get("Priority", 0)):
        if not statement_matches(rule.get("Statement", {}), headers):
            continue
        action = rule.get("Action") or {}
        if "Allow" in action:
            return "ALLOW", rule["Name"]
        if "Block" in action:
            return "BLOCK", rule["Name"]
    default = acl.get("DefaultAction") or {}
    return ("ALLOW" if "Allow" in default else "BLOCK"), None


class OriginStandIn(LoopbackServer):
    """``with OriginStandIn(read_acl) as origin: urlopen(origin.url, headers=...)``."""

    name = "origin stand-in"

    def __init__(self, read_acl: AclReader) -> None:
        super().__init__()
        self.read_acl = read_acl
        self.admitted = 0
        self.refused = 0
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return self.base_url

    def decide(self, headers: Mapping[str, str]) -> tuple[str, str | None]:
        return evaluate(self.read_acl(), headers)

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        origin = self

        class Handler(QuietHandler):
            def _answer(self) -> None:
                verdict, rule = origin.decide(dict(self.headers.items()))
                with origin._lock:
                    if verdict == "ALLOW":
                        origin.admitted += 1
                    else:
                        origin.refused += 1
                status = 200 if verdict == "ALLOW" else 403
                body = (
                    b"origin: hello from the app\n" if status == 200 else b"403 Forbidden (WAF)\n"
                )
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("X-Local-Waf-Rule", rule or "default")
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = _answer

        return Handler
