"""The REGIONAL web ACL's ``origin-verify`` rule: which X-Origin-Verify values it admits.

Shape (kept exactly; the local origin stand-in reads it): an allow rule whose statement is an
OrStatement of two ByteMatchStatements, each matching the single header ``x-origin-verify``
EXACTLY with no text transformation. Only that rule's statement is ever changed; everything
else in the web ACL is sent back as read (UpdateWebACL replaces the whole ACL).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from edgeguard.errors import error_code
from edgeguard.rotation.errors import Conflict, NotReady, RotationError

if TYPE_CHECKING:
    from mypy_boto3_wafv2 import WAFV2Client
    from mypy_boto3_wafv2.literals import ScopeType
    from mypy_boto3_wafv2.type_defs import WebACLTypeDef

HEADER = "x-origin-verify"
RULE_NAME = "origin-verify"
MAX_ATTEMPTS = 6


@dataclass(frozen=True)
class WebAclRef:
    """Name, id and scope of a web ACL, parsed from its ARN."""

    name: str
    id: str
    scope: ScopeType
    region: str = "us-east-1"  # a REGIONAL web ACL lives in its ALB's region

    @classmethod
    def from_arn(cls, arn: str) -> WebAclRef:
        """Parse ``arn:aws:wafv2:<region>:<account>:regional/webacl/<name>/<id>``.

        Raises:
            RotationError: not a wafv2 web ACL ARN.
        """
        # arn:aws:wafv2:<region>:<account>:regional/webacl/<name>/<id>
        parts = arn.split(":", 5)
        resource = parts[5].split("/") if len(parts) == 6 else []
        if len(resource) != 4 or resource[1] != "webacl" or not parts[2] == "wafv2":
            raise RotationError(f"not a WAFv2 web ACL ARN: {arn}")
        scope: ScopeType = "CLOUDFRONT" if resource[0] == "global" else "REGIONAL"
        return cls(name=resource[2], id=resource[3], scope=scope, region=parts[3])


def byte_match(value: str) -> dict[str, Any]:
    """One ByteMatchStatement: header x-origin-verify EXACTLY equals ``value``.

    ``value`` must be ASCII (UnicodeEncodeError otherwise); WAF allows a SearchString of
    at most 200 bytes ("AWS WAF API Reference: ByteMatchStatement").
    """
    return {
        "ByteMatchStatement": {
            "SearchString": value.encode("ascii"),
            "FieldToMatch": {"SingleHeader": {"Name": HEADER}},
            "TextTransformations": [{"Priority": 0, "Type": "NONE"}],
            "PositionalConstraint": "EXACTLY",
        }
    }


def verify_statement(first: str, second: str) -> dict[str, Any]:
    """The rule statement admitting both values (both may be equal, as at deploy time)."""
    return {"OrStatement": {"Statements": [byte_match(first), byte_match(second)]}}


def _search_string(statement: dict[str, Any]) -> str | None:
    match = statement.get("ByteMatchStatement")
    if not isinstance(match, dict):
        return None
    field = match.get("FieldToMatch") or {}
    header = (field.get("SingleHeader") or {}).get("Name", "")
    if header.lower() != HEADER or match.get("PositionalConstraint") != "EXACTLY":
        return None
    transformations = match.get("TextTransformations") or []
    if any(t.get("Type") != "NONE" for t in transformations):
        return None
    raw = match.get("SearchString")
    return raw.decode("ascii") if isinstance(raw, bytes) else str(raw)


def admitted_values(rule: dict[str, Any]) -> list[str]:
    """The header values an ``origin-verify`` rule admits, in statement order."""
    if "Allow" not in (rule.get("Action") or {}):
        return []
    statement = rule.get("Statement") or {}
    parts = (statement.get("OrStatement") or {}).get("Statements") or [statement]
    values = [_search_string(part) for part in parts]
    return [value for value in values if value is not None]


def find_rule(web_acl: Mapping[str, Any], rule_name: str = RULE_NAME) -> dict[str, Any]:
    """The verify rule of a web ACL, or a clear error.

    Returns a shallow copy of the rule. Raises RotationError when the web ACL has no
    rule called ``rule_name``.
    """
    for rule in web_acl.get("Rules") or []:
        if rule.get("Name") == rule_name:
            return dict(rule)
    raise RotationError(f"web ACL {web_acl.get('Name')} has no rule named {rule_name}")


def read(waf: WAFV2Client, ref: WebAclRef) -> tuple[WebACLTypeDef, str]:
    """The web ACL (GetWebACL) and its lock token. ClientError propagates."""
    response = waf.get_web_acl(Name=ref.name, Scope=ref.scope, Id=ref.id)
    return response["WebACL"], response["LockToken"]


def current_values(waf: WAFV2Client, ref: WebAclRef, rule_name: str = RULE_NAME) -> list[str]:
    """The values the rule admits right now.

    Raises RotationError when the rule is missing; ClientError propagates.
    """
    web_acl, _ = read(waf, ref)
    return admitted_values(find_rule(web_acl, rule_name))


def update_request(
    waf: WAFV2Client,
    web_acl: Mapping[str, Any],
    lock_token: str,
    ref: WebAclRef,
    *,
    rule_name: str,
    statement: dict[str, Any],
) -> dict[str, Any]:
    """An UpdateWebACL request that changes only the rule's statement.

    Every field the API accepts is copied from what GetWebACL returned (default action,
    rules, visibility, custom response bodies, captcha/challenge config, token domains,
    association config and any field added later), so nothing else is reset.
    """
    shape = waf.meta.service_model.operation_model("UpdateWebACL").input_shape
    assert shape is not None  # UpdateWebACL has input in every botocore model
    accepted = shape.members
    request = {key: value for key, value in web_acl.items() if key in accepted}
    rules = []
    for rule in web_acl.get("Rules") or []:
        rules.append({**rule, "Statement": statement} if rule.get("Name") == rule_name else rule)
    request.update(Name=ref.name, Scope=ref.scope, Id=ref.id, LockToken=lock_token, Rules=rules)
    if not request.get("Description"):  # the API refuses an empty description
        request.pop("Description", None)
    return request


def admit(
    waf: WAFV2Client,
    ref: WebAclRef,
    values: tuple[str, str],
    may_drop: Callable[[list[str]], bool],
    *,
    rule_name: str = RULE_NAME,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """Make the rule admit exactly ``values``; True if it changed, False if it already did.

    ``may_drop(dropped)`` is asked before any admitted value would stop being admitted; when
    it says no, nothing is changed and NotReady is raised (retry later).
    WAFOptimisticLockException re-reads the ACL and tries again (bounded, with jitter).
    UpdateWebACL replaces the whole web ACL ("AWS WAF API Reference: UpdateWebACL"), so
    everything else is sent back as read (see ``update_request``).

    Raises:
        NotReady: a value would be dropped and ``may_drop`` refused.
        Conflict: the lock conflict persisted over 6 attempts.
        RotationError: the rule is missing.
        botocore.exceptions.ClientError: any other WAF error.
    """
    for attempt in range(MAX_ATTEMPTS):
        web_acl, lock_token = read(waf, ref)
        now = admitted_values(find_rule(web_acl, rule_name))
        if set(now) == set(values):
            return False
        dropped = [value for value in now if value not in values]
        if dropped and not may_drop(dropped):
            raise NotReady(
                "CloudFront may still send a header value the origin rule would stop admitting;"
                " retry when the distribution is Deployed"
            )
        request = update_request(
            waf, web_acl, lock_token, ref, rule_name=rule_name, statement=verify_statement(*values)
        )
        try:
            waf.update_web_acl(**request)
            return True
        except ClientError as error:
            if error_code(error) != "WAFOptimisticLockException":
                raise
            sleep(min(2.0, 0.1 * 2**attempt) * random.uniform(0.5, 1.0))
    raise Conflict(f"web ACL {ref.name} kept changing under the rotation (optimistic lock)")
