"""The origin secret's no-lockout invariant, checked at every point the edge's state changes
(local cloud and tests only: it wraps moto's backends).

Every X-Origin-Verify value an edge location may be sending must be admitted by the
regional origin-verify rule. The state behind that can only change when moto updates the
origin web ACL or the distribution (or CloudFront finishes deploying), so the watch wraps
exactly those backend operations and checks after each one - whoever made the call (the
rotation function in the local cloud, an operator, a racing rotation).

"May be sending": while the distribution is InProgress, edges send the header of any
configuration since it was last Deployed; once Deployed, only the configured one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import boto3
from moto.cloudfront.models import CloudFrontBackend
from moto.wafv2.models import WAFV2Backend

from edgeguard.rotation import cloudfront_header, origin_rule

if TYPE_CHECKING:
    from mypy_boto3_cloudfront.type_defs import OriginCustomHeaderTypeDef, OriginOutputTypeDef


@dataclass
class InvariantWatch:
    """Records every check; ``on_change(where)`` runs after each one (the demo probes there)."""

    acl_arn: str
    distribution_id: str
    on_change: Callable[[str], None] | None = None
    checks: int = 0
    violations: list[str] = field(default_factory=list)
    in_flight: set[str] = field(default_factory=set)
    history: list[tuple[str, tuple[str, ...], frozenset[str]]] = field(default_factory=list)
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _busy: bool = False

    def __post_init__(self) -> None:
        self.waf = boto3.client("wafv2", region_name="us-east-1")
        self.cf = boto3.client("cloudfront", region_name="us-east-1")
        self.ref = origin_rule.WebAclRef.from_arn(self.acl_arn)

    def admitted(self) -> list[str]:
        return origin_rule.current_values(self.waf, self.ref)

    def check(self, where: str) -> None:
        with self._lock:
            if self._busy:  # the check's own reads
                return
            self._busy = True
            try:
                config = self.cf.get_distribution_config(Id=self.distribution_id)
                sent = cloudfront_header.EdgeState(
                    tuple(
                        h["HeaderValue"]
                        for o in config["DistributionConfig"]["Origins"]["Items"]
                        for h in _custom_headers(o)
                        if h["HeaderName"].lower() == origin_rule.HEADER
                    ),
                    deployed=_raw_status(self.distribution_id) == "Deployed",
                )
                if sent.deployed:
                    self.in_flight = set(sent.values)
                else:
                    self.in_flight |= set(sent.values)
                admitted = self.admitted()
                self.checks += 1
                self.history.append((where, tuple(admitted), frozenset(self.in_flight)))
                missing = self.in_flight - set(admitted)
                if missing:
                    self.violations.append(f"after {where}: {len(missing)} value(s) refused")
                if self.on_change is not None:
                    self.on_change(where)
            finally:
                self._busy = False

    def assert_held(self) -> None:
        assert self.checks > 0, "the watch saw no change at all"
        assert not self.violations, "LOCKOUT: " + "; ".join(self.violations)


def _raw_status(distribution_id: str) -> str:
    """The distribution's status without advancing moto's state machine."""
    from moto.cloudfront.models import cloudfront_backends  # noqa: PLC0415

    for account in cloudfront_backends.values():
        for backend in account.values():
            if distribution_id in backend.distributions:
                return str(backend.distributions[distribution_id]._status)
    raise KeyError(distribution_id)


@contextmanager
def watch(
    acl_arn: str, distribution_id: str, on_change: Callable[[str], None] | None = None
) -> Iterator[InvariantWatch]:
    """Check the invariant now, after every web ACL / distribution update, and at the end."""
    watcher = InvariantWatch(acl_arn, distribution_id, on_change)
    originals: dict[tuple[type, str], Callable[..., Any]] = {
        (WAFV2Backend, "update_web_acl"): WAFV2Backend.update_web_acl,
        (CloudFrontBackend, "update_distribution"): CloudFrontBackend.update_distribution,
    }

    def wrap(cls: type, name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            result = original(self, *args, **kwargs)
            watcher.check(f"{cls.__name__}.{name}")
            return result

        return wrapper

    for (cls, name), original in originals.items():
        setattr(cls, name, wrap(cls, name, original))
    try:
        watcher.check("start")
        yield watcher
        watcher.check("end")
    finally:
        for (cls, name), original in originals.items():
            setattr(cls, name, original)


def _custom_headers(origin: OriginOutputTypeDef) -> list[OriginCustomHeaderTypeDef]:
    headers = origin.get("CustomHeaders")
    return list(headers.get("Items", [])) if headers else []
