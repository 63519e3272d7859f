"""moto gap fills: what moto 5.2.5 lacks and edgeguard needs, registered on moto itself.

Call ``install()`` once (it is idempotent and takes effect in every ``mock_aws``
context, including ones already open); after that edgeguard code and tests talk
to boto3 only. Test and local-cloud helpers that AWS has no API for (seeding
what WAF "observed", marking a distribution deployed) are exported here too.

Gaps found in moto 5.2.5 and what this package does about them
--------------------------------------------------------------
Security Hub (``securityhub.py``)
- CreateActionTarget / DescribeActionTargets / DeleteActionTarget: not
  implemented -> implemented, with AWS's ARN form and errors.
- BatchUpdateFindings: not implemented -> implemented over the findings that
  BatchImportFindings stored; GetFindings shows the change.

CloudFront (``cloudfront.py``)
- UpdateDistribution / DeleteDistribution accepted any IfMatch -> a stale ETag is
  PreconditionFailed (412), a missing one InvalidIfMatchVersion; deleting an
  enabled distribution is DistributionNotDisabled.
- The ETag never changed -> a new ETag on every update.
- Status stayed "Deployed" after an update -> "InProgress" until read N times
  (``set_distribution_settle_reads``, default 1; None = never) or
  ``settle_distribution(id)``.
- LastModifiedTime was a fixed 2021 date -> now (edgeguard.clock) on create/update.

WAFv2 (``wafv2.py``)
- GetRateBasedStatementManagedKeys: not implemented -> implemented over addresses
  seeded with ``seed_rate_limited`` (validates web ACL, rule, rate-based, IP key).
- GetSampledRequests: not implemented -> implemented over requests seeded with
  ``seed_sampled_requests`` (window, MaxItems 1..500, PopulationSize).
"""

from __future__ import annotations

from edgeguard.local.moto_ext import cloudfront, securityhub, wafv2
from edgeguard.local.moto_ext.cloudfront import (
    distribution_settle_reads,
    reset_distribution_settle_reads,
    set_distribution_settle_reads,
    settle_distribution,
)
from edgeguard.local.moto_ext.wafv2 import seed_rate_limited, seed_sampled_requests


def install() -> None:
    """Register every extension on moto's classes. Safe to call any number of times."""
    securityhub.install()
    cloudfront.install()
    wafv2.install()


__all__ = [
    "distribution_settle_reads",
    "install",
    "reset_distribution_settle_reads",
    "seed_rate_limited",
    "seed_sampled_requests",
    "set_distribution_settle_reads",
    "settle_distribution",
]
