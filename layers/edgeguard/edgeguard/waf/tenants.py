"""Blocked tenants as URI-path regexes, packed into the tenant regex pattern set.

A WAF regex pattern set holds at most 10 regexes of at most 200 characters, so
several tenants share one alternation: ``^/account/(?:acc-1|acc-2)(?:/|$)``.
Tenant ids are strict (``[a-z0-9][a-z0-9_-]{0,62}``) and escaped anyway; the path
template's literal parts are escaped too. ``^$`` alone means "nobody blocked"
(a set may not be empty, and a request path is never empty).

How many fit: a regex spends ``len(prefix) + len(suffix)`` on the template
(21 characters for ``/account/{tenant}/``) and ``len(id) + 1`` per tenant, so with
8-character ids (``acc-1234``) 20 tenants share one regex and 200 fit in the set; with the
longest (63-character) ids, 2 per regex and 20 in all.
"""

from __future__ import annotations

from collections.abc import Iterable

from edgeguard.decisions import normalize_tenant

EMPTY = "^$"
MAX_REGEX_LENGTH = 200
MAX_REGEXES = 10
PLACEHOLDER = "{tenant}"
_SPECIAL = set(".^$|?*+()[]{}\\")


def escape(text: str) -> str:
    """Escape regex metacharacters for WAF's PCRE-style patterns."""
    return "".join(f"\\{ch}" if ch in _SPECIAL else ch for ch in text)


def affixes(template: str) -> tuple[str, str]:
    """(regex before the ids, regex after them) for a path template like /account/{tenant}/.

    Raises:
        ValueError: the template lacks exactly one ``{tenant}`` or a leading ``/``.
    """
    if template.count(PLACEHOLDER) != 1 or not template.startswith("/"):
        raise ValueError(f"tenant path template needs one {PLACEHOLDER} and a leading /")
    # The web ACL lower-cases the path before matching (see template.yaml), so the
    # literal parts are matched in lower case too; tenant ids are lower case already.
    before, after = template.lower().split(PLACEHOLDER)
    # A trailing "/" also matches the bare tenant path (/account/acc-1) but never a
    # longer id (/account/acc-12): the id must end at a "/" or at the end of the path.
    tail = escape(after[:-1]) + "(?:/|$)" if after.endswith("/") else escape(after) + "(?:/|$)"
    return "^" + escape(before) + "(?:", ")" + tail


def pack(template: str, tenant_ids: Iterable[str]) -> list[str]:
    """Regexes that match exactly the given tenants' paths (sorted ids; may exceed the limits).

    ``[EMPTY]`` (``^$``) when there are no tenants. Check the result with ``fits``.

    Raises:
        ValueError: a tenant id is not a valid tenant id, or the template is invalid.
    """
    ids = sorted({escape(normalize_tenant(t)) for t in tenant_ids})
    if not ids:
        return [EMPTY]
    head, tail = affixes(template)
    room = MAX_REGEX_LENGTH - len(head) - len(tail)
    regexes: list[str] = []
    group: list[str] = []
    for tenant in ids:
        if group and len("|".join([*group, tenant])) > room:
            regexes.append(head + "|".join(group) + tail)
            group = []
        group.append(tenant)
    regexes.append(head + "|".join(group) + tail)
    return regexes


def fits(regexes: list[str]) -> bool:
    """Whether ``regexes`` fit one WAF regex pattern set: at most 10 regexes of at most 200
    characters each (source: "AWS WAF Developer Guide: AWS WAF quotas").
    """
    return len(regexes) <= MAX_REGEXES and all(len(r) <= MAX_REGEX_LENGTH for r in regexes)


def capacity(template: str, id_length: int) -> int:
    """How many tenants with ids of ``id_length`` characters fit in one set."""
    head, tail = affixes(template)
    per_regex = (MAX_REGEX_LENGTH - len(head) - len(tail) + 1) // (id_length + 1)
    return per_regex * MAX_REGEXES
