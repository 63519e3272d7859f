"""WAFv2 writes as strict as AWS: full-replace UpdateWebACL, checked IP set contents.

Gaps in moto 5.2.5 that would let wrong code pass its tests:
- UpdateWebACL kept every optional field the caller left out (and kept the old
  rules when given ``Rules=[]``). AWS *replaces* the web ACL's mutable
  specification with what the call carries: a rotation that forgot to send
  CustomResponseBodies, CaptchaConfig, ChallengeConfig, TokenDomains or
  AssociationConfig back would silently drop them on AWS. Here it drops them too.
- GetWebACL answered ``Description: ""`` for a web ACL created without one, so
  GetWebACL -> UpdateWebACL round-trips failed botocore's validation (min length
  1). AWS omits the field; so does this (and the ListWebACLs summaries).
- GetWebACL with only the ARN of a CLOUDFRONT web ACL answered
  WAFNonexistentItemException (moto looked in the caller's region); found now.
- CreateIPSet / UpdateIPSet accepted any strings. AWS wants CIDR notation of the
  set's IP version (not /0) -> WAFInvalidParameterException (Field IP_ADDRESS),
  and at most 10,000 addresses -> WAFLimitsExceededException.
- UpdateIPSet / UpdateRegexPatternSet kept a Description the call left out; AWS
  replaces it (cleared).
- CreateIPSet allowed two sets with the same name and scope; AWS answers
  WAFDuplicateItemException.
- Duplicates were reported with the code ``WafV2DuplicateItem``, which no SDK
  knows; AWS's code is ``WAFDuplicateItemException``.
Optimistic locking (a stale LockToken -> WAFOptimisticLockException) was already
right in moto for UpdateIPSet / UpdateWebACL / UpdateRegexPatternSet and is kept.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from moto.core.utils import camelcase_to_underscores
from moto.wafv2.exceptions import (
    WAFOptimisticLockException,
    WAFv2ClientError,
    WAFV2DuplicateItemException,
)
from moto.wafv2.models import (
    GLOBAL_REGION,
    FakeIPSet,
    FakeRegexPatternSet,
    FakeRule,
    FakeWebACL,
    WAFV2Backend,
)
from moto.wafv2.responses import WAFV2Response

from edgeguard_tools.local.moto_ext._registry import attach, original
from edgeguard_tools.local.moto_ext.wafv2 import WAFInvalidParameterException

MAX_IP_SET_ADDRESSES = 10_000


class WAFLimitsExceededException(WAFv2ClientError):
    def __init__(self, message: str) -> None:
        super().__init__("WAFLimitsExceededException", message)


def _duplicate_init(self: WAFV2DuplicateItemException) -> None:
    WAFv2ClientError.__init__(
        self,
        "WAFDuplicateItemException",
        "AWS WAF couldn't perform the operation because some resource in your request is a "
        "duplicate of an existing one.",
    )


def check_addresses(addresses: list[str] | None, version: str) -> None:
    """AWS's rules for IP set contents: CIDRs of the set's version, not /0, <= 10,000."""
    addresses = addresses or []
    if len(addresses) > MAX_IP_SET_ADDRESSES:
        raise WAFLimitsExceededException(
            f"An IP set can hold at most {MAX_IP_SET_ADDRESSES} addresses; got {len(addresses)}."
        )
    wanted = 4 if version == "IPV4" else 6
    for address in addresses:
        try:
            if "/" not in address:
                raise ValueError("no prefix length")
            network = ipaddress.ip_network(address, strict=False)
        except ValueError as error:
            raise WAFInvalidParameterException(
                f"Error reason: The parameter contains formatting that is not valid., "
                f"field: IP_ADDRESS, parameter: {address}",
                field="IP_ADDRESS",
                parameter=address,
                reason="not a valid CIDR",
            ) from error
        if network.version != wanted or network.prefixlen == 0:
            raise WAFInvalidParameterException(
                f"Error reason: The parameter contains formatting that is not valid., "
                f"field: IP_ADDRESS, parameter: {address}",
                field="IP_ADDRESS",
                parameter=address,
                reason=f"not an {version} CIDR other than /0",
            )


def create_ip_set(  # noqa: PLR0917 - moto calls it positionally
    self: WAFV2Backend,
    name: str,
    scope: str,
    description: str,
    ip_address_version: str,
    addresses: list[str],
    tags: list[dict[str, str]],
) -> FakeIPSet:
    """moto's CreateIPSet after AWS's duplicate and content checks."""
    if any(s.name == name and s.scope == scope for s in self.ip_sets.values()):
        raise WAFV2DuplicateItemException()
    check_addresses(addresses, ip_address_version)
    moto_create = original(WAFV2Backend, "create_ip_set")
    return moto_create(self, name, scope, description, ip_address_version, addresses, tags)


def update_ip_set(  # noqa: PLR0917 - moto calls it positionally
    self: WAFV2Backend,
    name: str,
    scope: str,
    _id: str,
    description: str | None,
    addresses: list[str],
    lock_token: str,
) -> FakeIPSet:
    """moto's UpdateIPSet (lock token checked first, as on AWS) plus content checks."""
    current = self.get_ip_set(name, scope, _id)
    if current.lock_token != lock_token:
        raise WAFOptimisticLockException()
    check_addresses(addresses, current.ip_address_version)
    moto_update = original(WAFV2Backend, "update_ip_set")
    updated: FakeIPSet = moto_update(self, name, scope, _id, description, addresses, lock_token)
    # Full replace: an omitted Description is cleared.
    updated.description = description  # type: ignore[assignment]
    return updated


def update_regex_pattern_set(
    self: WAFV2Backend,
    *,
    name: str,
    scope: str,
    id: str,
    description: str | None,
    regular_expressions: list[dict[str, str]] | None,
    lock_token: str,
) -> FakeRegexPatternSet:
    """moto's UpdateRegexPatternSet with AWS's full replacement of Description."""
    moto_update = original(WAFV2Backend, "update_regex_pattern_set")
    updated: FakeRegexPatternSet = moto_update(
        self,
        name=name,
        scope=scope,
        id=id,
        description=description,
        regular_expressions=regular_expressions,
        lock_token=lock_token,
    )
    updated.description = description  # type: ignore[assignment]
    return updated


def update_web_acl(  # noqa: PLR0917 - moto calls it positionally
    self: WAFV2Backend,
    name: str,
    _id: str,
    default_action: dict[str, Any] | None,
    rules: list[dict[str, Any]] | None,
    description: str | None,
    visibility_config: dict[str, Any] | None,
    lock_token: str,
    custom_response_bodies: dict[str, Any] | None,
    captcha_config: dict[str, Any] | None,
    challenge_config: dict[str, Any] | None,
    token_domains: list[str] | None,
    association_config: dict[str, Any] | None,
) -> str:
    """UpdateWebACL replaces the whole mutable specification, like AWS."""
    acl: FakeWebACL = self.get_web_acl(None, name, _id)
    if acl.lock_token != lock_token:
        raise WAFOptimisticLockException()
    if default_action is None or visibility_config is None:
        raise WAFInvalidParameterException(
            "DefaultAction and VisibilityConfig are required.", field="DEFAULT_ACTION"
        )
    acl.default_action = default_action
    acl.visibility_config = visibility_config
    acl.rules = [
        FakeRule(**{camelcase_to_underscores(k): v for k, v in rule.items()})
        for rule in rules or []
    ]
    acl.description = description or ""
    acl.custom_response_bodies = custom_response_bodies
    acl.captcha_config = captcha_config
    acl.challenge_config = challenge_config
    acl.token_domains = token_domains
    acl.association_config = association_config
    acl.lock_token = acl._generate_lock_token()
    return acl.lock_token


def web_acl_to_dict(self: FakeWebACL) -> dict[str, Any]:
    """moto's GetWebACL body without an empty Description (AWS omits it)."""
    moto_to_dict = original(FakeWebACL, "to_dict")
    body: dict[str, Any] = moto_to_dict(self)
    if not body.get("Description"):
        body.pop("Description", None)
    return body


def web_acl_to_short_dict(self: FakeWebACL) -> dict[str, Any]:
    """ListWebACLs / CreateWebACL summary without an empty Description."""
    moto_summary = original(FakeWebACL, "to_short_dict")
    body: dict[str, Any] = moto_summary(self)
    if not body.get("Description"):
        body.pop("Description", None)
    return body


def _response_get_web_acl(self: WAFV2Response) -> Any:
    """GetWebACL by ARN alone finds a CLOUDFRONT web ACL too (moto looked in the region)."""
    arn = self._get_param("ARN")
    if arn and ":global/" in arn:
        self.region = GLOBAL_REGION
    moto_get = original(WAFV2Response, "get_web_acl")
    return moto_get(self)


def install() -> None:
    """Register the stricter WAFv2 writes (idempotent)."""
    for cls, name in (
        (WAFV2Backend, "create_ip_set"),
        (WAFV2Backend, "update_ip_set"),
        (WAFV2Backend, "update_regex_pattern_set"),
        (FakeWebACL, "to_dict"),
        (FakeWebACL, "to_short_dict"),
        (WAFV2Response, "get_web_acl"),
    ):
        original(cls, name)
    attach(
        WAFV2Backend,
        {
            "create_ip_set": create_ip_set,
            "update_ip_set": update_ip_set,
            "update_regex_pattern_set": update_regex_pattern_set,
            "update_web_acl": update_web_acl,
        },
    )
    attach(FakeWebACL, {"to_dict": web_acl_to_dict, "to_short_dict": web_acl_to_short_dict})
    attach(WAFV2Response, {"get_web_acl": _response_get_web_acl})
    attach(WAFV2DuplicateItemException, {"__init__": _duplicate_init})
