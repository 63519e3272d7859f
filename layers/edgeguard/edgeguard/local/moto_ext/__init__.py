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
"""

from __future__ import annotations

from edgeguard.local.moto_ext import securityhub


def install() -> None:
    """Register every extension on moto's classes. Safe to call any number of times."""
    securityhub.install()


__all__ = ["install"]
