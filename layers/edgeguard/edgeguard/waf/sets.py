"""Reading and writing WAF IP sets and regex pattern sets, safely under concurrency.

Every write carries the LockToken of the read it was planned from. When WAF says
the set changed in between (WAFOptimisticLockException), the whole group is read
and planned again after a short random pause; throttling and "entity unavailable"
(a set still being created or updated) back off exponentially. Nothing is written
from a stale read, so a concurrent edit is never silently overwritten with old data.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

from botocore.exceptions import ClientError

from edgeguard.errors import THROTTLING_CODES, EdgeguardError, error_code
from edgeguard.waf.aggregate import parse

if TYPE_CHECKING:
    from mypy_boto3_wafv2 import WAFV2Client
    from mypy_boto3_wafv2.literals import ScopeType

CONFLICT = "WAFOptimisticLockException"
BACK_OFF = THROTTLING_CODES | {
    "WAFUnavailableEntityException",
    "WAFInternalErrorException",
    "WAFServiceLinkedRoleErrorException",
}


class EnforcementError(EdgeguardError, RuntimeError):
    """A set could not be brought to its desired state within the retry budget."""


class SetKey(TypedDict):
    """What every WAF set call takes to name a set."""

    Name: str
    Scope: ScopeType
    Id: str


@dataclass(frozen=True)
class SetRef:
    """One WAF set, from its ARN (arn:aws:wafv2:<region>:<acct>:global/ipset/<name>/<id>)."""

    arn: str
    name: str
    id: str
    scope: ScopeType

    @classmethod
    def from_arn(cls, arn: str, scope: str = "") -> SetRef:
        """``scope`` overrides the one the ARN implies (global = CLOUDFRONT).

        Raises:
            ValueError: ``arn`` is not ``arn:...:<global|regional>/<kind>/<name>/<id>``,
                or ``scope`` is neither "", CLOUDFRONT nor REGIONAL.
        """
        try:
            resource = arn.split(":", 5)[5]
            scope_part, _kind, name, set_id = resource.split("/")
        except (IndexError, ValueError):
            raise ValueError(f"not a WAF set ARN: {arn!r}") from None
        if not name or not set_id or not arn.startswith("arn:"):
            raise ValueError(f"not a WAF set ARN: {arn!r}")
        return cls(arn=arn, name=name, id=set_id, scope=_scope(scope, scope_part == "global"))

    def sibling(self, shard: int, set_id: str) -> SetRef:
        """Shard ``shard`` of the same family: this set is shard 1 (its name ends in ``-1``),
        the sibling is named with ``-<shard>`` and has WAF id ``set_id``.

        Raises:
            ValueError: this set's name does not end in ``-1``, or ``set_id`` is not a
                WAF id (1-128 of letters, digits and hyphens).
        """
        if not self.name.endswith("-1"):
            raise ValueError(f"set {self.name!r} is not shard 1 (its name must end in -1)")
        if not re.fullmatch(r"[0-9A-Za-z-]{1,128}", set_id):
            raise ValueError(f"{set_id[:40]!r} is not a WAF set id")
        name = f"{self.name[:-2]}-{shard}"
        arn = self.arn.removesuffix(f"{self.name}/{self.id}") + f"{name}/{set_id}"
        return SetRef(arn, name, set_id, self.scope)

    def key(self) -> SetKey:
        """The ``Name``/``Scope``/``Id`` keyword arguments every wafv2 set call takes."""
        return {"Name": self.name, "Scope": self.scope, "Id": self.id}


def _scope(override: str, global_arn: bool) -> ScopeType:
    """The override when given, else the scope a global/regional ARN implies."""
    if override == "CLOUDFRONT" or (not override and global_arn):
        return "CLOUDFRONT"
    if override in ("", "REGIONAL"):
        return "REGIONAL"
    raise ValueError(f"not a WAF scope: {override!r} (CLOUDFRONT or REGIONAL)")


@dataclass(frozen=True)
class Snapshot:
    """A set as read: contents (canonical), lock token, description to keep on write."""

    ref: SetRef
    entries: tuple[str, ...]
    lock_token: str
    description: str


@dataclass
class Retry:
    """Retry budget and pauses; ``sleep`` is replaceable so tests do not wait."""

    attempts: int = 8
    base_seconds: float = 0.2
    max_seconds: float = 5.0
    sleep: Callable[[float], None] = time.sleep

    def pause(self, attempt: int, conflict: bool) -> None:
        """Sleep before retry number ``attempt`` (0-based).

        A conflict (``WAFOptimisticLockException``) sleeps uniformly in [0, base_seconds];
        anything else backs off exponentially with jitter: uniformly in [c/2, c] seconds with
        c = min(max_seconds, base_seconds * 2**attempt).
        """
        if conflict:  # someone else just wrote: a short random pause is enough
            self.sleep(random.uniform(0, self.base_seconds))
        else:
            ceiling = min(self.max_seconds, self.base_seconds * 2**attempt)
            self.sleep(random.uniform(ceiling / 2, ceiling))


def read_ip_set(client: WAFV2Client, ref: SetRef) -> Snapshot:
    """Read one IP set (wafv2 GetIPSet) into a Snapshot carrying its LockToken.

    Entries are canonical CIDR strings (``203.0.113.0/24``, host bits cleared); an entry
    that does not parse is kept verbatim so that it differs from any plan and is replaced.
    ClientError propagates (``with_retries`` decides what is retried).
    """
    response = client.get_ip_set(**ref.key())
    ip_set = response["IPSet"]
    entries = []
    for raw in ip_set.get("Addresses", []):
        network = parse(raw)
        # Unparseable entries are kept verbatim so they differ from any plan and get replaced.
        entries.append(network.with_prefixlen if network else raw)
    return Snapshot(ref, tuple(entries), response["LockToken"], ip_set.get("Description", ""))


def write_ip_set(client: WAFV2Client, snapshot: Snapshot, entries: list[str]) -> None:
    """Replace the set's whole address list with ``entries`` (wafv2 UpdateIPSet).

    UpdateIPSet replaces, it does not append, and needs the LockToken of the read the plan
    came from (source: "AWS WAF API Reference: UpdateIPSet"); the description is sent
    again because an update without one clears it. At most 10,000 addresses per set
    ("AWS WAF Developer Guide: AWS WAF quotas"). Raises ClientError, e.g.
    ``WAFOptimisticLockException`` when the set changed since the read.
    """
    kwargs: dict[str, Any] = {
        **snapshot.ref.key(),
        "Addresses": entries,
        "LockToken": snapshot.lock_token,
    }
    if snapshot.description:
        kwargs["Description"] = snapshot.description
    client.update_ip_set(**kwargs)


def read_regex_set(client: WAFV2Client, ref: SetRef) -> Snapshot:
    """Read one regex pattern set (wafv2 GetRegexPatternSet) into a Snapshot.

    ``Snapshot.entries`` are the regex strings in WAF's order. ClientError propagates.
    """
    response = client.get_regex_pattern_set(**ref.key())
    pattern_set = response["RegexPatternSet"]
    regexes = tuple(r["RegexString"] for r in pattern_set.get("RegularExpressionList", []))
    return Snapshot(ref, regexes, response["LockToken"], pattern_set.get("Description", ""))


def write_regex_set(client: WAFV2Client, snapshot: Snapshot, regexes: list[str]) -> None:
    """Replace the set's whole regex list with ``regexes`` (wafv2 UpdateRegexPatternSet).

    Like UpdateIPSet it replaces the list and needs the read's LockToken (source:
    "AWS WAF API Reference: UpdateRegexPatternSet"); the description is kept. Raises
    ClientError, e.g. ``WAFOptimisticLockException`` when the set changed since the read.
    """
    kwargs: dict[str, Any] = {
        **snapshot.ref.key(),
        "RegularExpressionList": [{"RegexString": r} for r in regexes],
        "LockToken": snapshot.lock_token,
    }
    if snapshot.description:
        kwargs["Description"] = snapshot.description
    client.update_regex_pattern_set(**kwargs)


def with_retries[T](action: Callable[[], T], retry: Retry, what: str) -> tuple[T, int]:
    """Run ``action`` (read + plan + write) until it succeeds; returns (result, retries).

    ``retries`` is the number of failed attempts before the success (0 = first try). A
    lock conflict or a back-off code (throttling, unavailable entity, internal error) is
    retried, the whole action again, up to ``retry.attempts`` attempts in all.

    Raises:
        EnforcementError: the last attempt still failed with a retried code, or
            ``retry.attempts`` < 1; ``what`` names the operation in the message.
        botocore.exceptions.ClientError: any other error code, at once.
    """
    for attempt in range(retry.attempts):
        try:
            return action(), attempt
        except ClientError as error:
            code = error_code(error)
            if code != CONFLICT and code not in BACK_OFF:
                raise
            if attempt + 1 == retry.attempts:
                raise EnforcementError(
                    f"{what}: still {code} after {retry.attempts} attempts"
                ) from error
            retry.pause(attempt, conflict=code == CONFLICT)
    raise EnforcementError(f"{what}: no attempt made")  # attempts < 1
