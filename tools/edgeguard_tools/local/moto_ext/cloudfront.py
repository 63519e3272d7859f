"""CloudFront: ETags that change, IfMatch that is checked, deployments that take time.

moto 5.2.5 gives a distribution one ETag for life, accepts any non-empty IfMatch
on UpdateDistribution and DeleteDistribution, leaves the status at "Deployed"
after an update, and never moves LastModifiedTime. Code that rotates the
origin secret (read config + ETag, change one header, update with IfMatch, wait
for "Deployed") could not be tested against a concurrent change or against "the
distribution is still deploying". Here, on moto's own backend:

- UpdateDistribution: unknown Id -> NoSuchDistribution; missing IfMatch ->
  InvalidIfMatchVersion; IfMatch that is not the current ETag -> PreconditionFailed
  (HTTP 412); a changed CallerReference -> IllegalUpdate. On success the ETag
  changes, LastModifiedTime is now and the status is "InProgress" again.
- DeleteDistribution: the same IfMatch checks, and an enabled distribution ->
  DistributionNotDisabled, like AWS.
- Deployment: after create or update the distribution reports "InProgress"
  until it has been read (GetDistribution / GetDistributionConfig /
  ListDistributions) ``reads`` times (moto's state manager, default 1), or until
  ``settle_distribution(id)``. ``distribution_settle_reads(None)`` holds every
  distribution "InProgress" until it is settled explicitly.
- Cache behaviours keep their FunctionAssociations / LambdaFunctionAssociations
  (moto replaced them with Quantity 0, so a config round trip lost them).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from moto.cloudfront.exceptions import (
    CloudFrontException,
    InvalidIfMatchVersion,
    NoSuchDistribution,
)
from moto.cloudfront.models import (
    CloudFrontBackend,
    DefaultCacheBehaviour,
    Distribution,
    DistributionConfig,
    cloudfront_backends,
    random_id,
)
from moto.moto_api import state_manager

from edgeguard_tools.local.moto_ext._registry import attach, iso_now, original

MODEL_NAME = "cloudfront::distribution"


class PreconditionFailed(CloudFrontException):
    """IfMatch names an ETag that is no longer current (HTTP 412)."""

    def __init__(self) -> None:
        super().__init__(
            "PreconditionFailed",
            "The precondition given in one or more of the request header fields evaluated "
            "to false.",
        )


class DistributionNotDisabled(CloudFrontException):
    def __init__(self) -> None:
        super().__init__(
            "DistributionNotDisabled",
            "The distribution you are trying to delete has not been disabled.",
        )


def _check_if_match(distribution: Distribution, if_match: str | None) -> None:
    if not if_match:
        raise InvalidIfMatchVersion
    if if_match != distribution.etag:
        raise PreconditionFailed


def _start_deployment(distribution: Distribution) -> None:
    distribution.status = "InProgress"
    distribution._tick = 0
    distribution.etag = random_id()
    distribution.last_modified_time = iso_now()


def update_distribution(
    self: CloudFrontBackend, dist_config: dict[str, Any], _id: str, if_match: str | None
) -> tuple[Distribution, str, str]:
    """UpdateDistribution with AWS's optimistic locking and a new deployment."""
    distribution = self.distributions.get(_id) if _id else None
    if distribution is None:
        raise NoSuchDistribution
    _check_if_match(distribution, if_match)
    if not dist_config:
        raise CloudFrontException("MissingBody", "DistributionConfig is required.")
    if dist_config.get("CallerReference") != distribution.distribution_config.caller_reference:
        raise CloudFrontException(
            "IllegalUpdate", "The CallerReference of a distribution cannot be changed."
        )
    distribution.distribution_config = DistributionConfig(dist_config)
    _start_deployment(distribution)
    return distribution, distribution.location, distribution.etag


def delete_distribution(self: CloudFrontBackend, distribution_id: str, if_match: str) -> None:
    """DeleteDistribution needs the current ETag and a disabled distribution."""
    distribution = self.distributions.get(distribution_id)
    if distribution is None:
        raise NoSuchDistribution
    _check_if_match(distribution, if_match)
    if getattr(distribution.distribution_config, "Enabled", False):
        raise DistributionNotDisabled
    del self.distributions[distribution_id]
    self.tagger.delete_all_tags_for_resource(distribution.arn)


def _find(distribution_id: str) -> Distribution:
    for account_backends in cloudfront_backends.values():
        for backend in account_backends.values():
            if distribution_id in backend.distributions:
                return backend.distributions[distribution_id]
    raise KeyError(f"no CloudFront distribution {distribution_id!r} in the mock")


def settle_distribution(distribution_id: str) -> None:
    """Mark a distribution "Deployed" now, as if CloudFront finished propagating it."""
    _find(distribution_id).status = "Deployed"


def set_distribution_settle_reads(reads: int | None) -> None:
    """After create/update, report "InProgress" for ``reads`` reads; None = until settled."""
    if reads is not None and reads < 0:
        raise ValueError("reads must be >= 0 or None")
    times = sys.maxsize if reads is None else reads
    if reads == 0:
        state_manager.set_transition(MODEL_NAME, {"progression": "immediate"})
    else:
        state_manager.set_transition(MODEL_NAME, {"progression": "manual", "times": times})


def reset_distribution_settle_reads() -> None:
    """Back to moto's default (deployed after one read)."""
    state_manager.unset_transition(MODEL_NAME)


@contextmanager
def distribution_settle_reads(reads: int | None) -> Iterator[None]:
    """``set_distribution_settle_reads`` for the block, then the previous setting."""
    previous = state_manager._transitions.get(MODEL_NAME)
    set_distribution_settle_reads(reads)
    try:
        yield
    finally:
        if previous is None:
            state_manager.unset_transition(MODEL_NAME)
        else:
            state_manager.set_transition(MODEL_NAME, previous)


def create_distribution_with_tags(
    self: CloudFrontBackend, distribution_config: dict[str, Any], tags: list[dict[str, str]]
) -> tuple[Distribution, str, str]:
    """moto's create, with LastModifiedTime = now instead of a fixed 2021 date."""
    moto_create = original(CloudFrontBackend, "create_distribution_with_tags")
    distribution, location, etag = moto_create(self, distribution_config, tags)
    distribution.last_modified_time = iso_now()
    return distribution, location, etag


def _cache_behaviour_init(self: DefaultCacheBehaviour, config: dict[str, Any]) -> None:
    """moto's cache behaviour, keeping the function associations it used to drop."""
    original(DefaultCacheBehaviour, "__init__")(self, config)
    for key, attribute in (
        ("FunctionAssociations", "function_associations"),
        ("LambdaFunctionAssociations", "lambda_function_associations"),
    ):
        associations = config.get(key) or {}
        items = associations.get("Items") or []
        setattr(
            self, attribute, {"Quantity": len(items), "Items": items} if items else {"Quantity": 0}
        )


def install() -> None:
    """Register the CloudFront extensions (idempotent)."""
    original(CloudFrontBackend, "create_distribution_with_tags")
    original(DefaultCacheBehaviour, "__init__")
    attach(DefaultCacheBehaviour, {"__init__": _cache_behaviour_init})
    attach(
        CloudFrontBackend,
        {
            "create_distribution_with_tags": create_distribution_with_tags,
            "update_distribution": update_distribution,
            "delete_distribution": delete_distribution,
        },
    )
