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
- GetFindings ignored Filters and SortCriteria (``securityhub_findings.py``) ->
  string / number / date / map / IP / boolean filters with AWS's comparison
  rules for the fields in ``FIELDS``; an unmodelled field raises
  NotImplementedError rather than being ignored.
- BatchImportFindings stored findings as sent and let a re-import overwrite the
  customer's workflow status and note -> adds Workflow NEW, RecordState ACTIVE,
  ProcessedAt, FindingProviderFields; keeps customer-owned fields on re-import.
- The current Security Hub (OCSF) is absent (``securityhub_v2.py``) -> BatchUpdateFindingsV2
  and GetFindingsV2 over OCSF findings a producer stored (``put_ocsf_finding``, which
  returns the "Findings Imported V2" event AWS sends).

CloudFront (``cloudfront.py``)
- UpdateDistribution / DeleteDistribution accepted any IfMatch -> a stale ETag is
  PreconditionFailed (412), a missing one InvalidIfMatchVersion; deleting an
  enabled distribution is DistributionNotDisabled.
- The ETag never changed -> a new ETag on every update.
- Status stayed "Deployed" after an update -> "InProgress" until read N times
  (``set_distribution_settle_reads``, default 1; None = never) or
  ``settle_distribution(id)``.
- LastModifiedTime was a fixed 2021 date -> now (edgeguard.clock) on create/update.
- A changed CallerReference was accepted -> IllegalUpdate.
- Cache behaviours lost FunctionAssociations / LambdaFunctionAssociations -> kept.

S3 (``s3.py``)
- Event notifications encoded ``/`` in object keys and lacked userIdentity,
  requestParameters, responseElements and the sequencer -> AWS's record shape.

SNS (``sns.py``)
- Email (and http/https) subscriptions were confirmed at once -> pending until
  ``confirm_subscription``: ListSubscriptions(ByTopic) show ``PendingConfirmation``, the
  attribute PendingConfirmation is ``true``.

DynamoDB (``dynamodb.py``)
- Concurrent requests (threads) were not atomic: a GetItem could see an item an
  UpdateItem had created but not yet filled in -> one request at a time.

Secrets Manager (``secretsmanager.py``)
- UpdateSecretVersionStage moved AWSCURRENT but GetSecretValue kept answering the
  old version -> the default version follows the AWSCURRENT label.

WAFv2 (``wafv2.py``)
- GetRateBasedStatementManagedKeys: not implemented -> implemented over addresses
  seeded with ``seed_rate_limited`` (validates web ACL, rule, rate-based, IP key).
- GetSampledRequests: not implemented -> implemented over requests seeded with
  ``seed_sampled_requests`` (window, MaxItems 1..500, PopulationSize).
- ``seed_from_waf_log(records)`` (``wafv2_logs.py``) seeds both from real WAF
  log records: a sample under the terminating rule's metric name, and the client
  of every RATE_BASED block in that rule's managed keys.

WAFv2 writes (``wafv2_writes.py``)
- UpdateWebACL kept fields the caller left out (and old rules on ``Rules=[]``) ->
  full replacement, as AWS documents.
- GetWebACL returned ``Description: ""`` (breaks a Get -> Update round trip) ->
  omitted when empty; GetWebACL by the ARN of a CLOUDFRONT web ACL alone -> found.
- CreateIPSet / UpdateIPSet accepted anything -> CIDR of the set's version, not
  /0 (WAFInvalidParameterException), <= 10,000 (WAFLimitsExceededException);
  a second IP set with the same name and scope -> WAFDuplicateItemException.
- Duplicate errors carried the unknown code ``WafV2DuplicateItem`` ->
  ``WAFDuplicateItemException``.
- UpdateIPSet / UpdateRegexPatternSet kept an omitted Description -> cleared.
- A stale LockToken already raised WAFOptimisticLockException (kept, tested).
"""

from __future__ import annotations

from edgeguard_tools.local.moto_ext import (
    cloudfront,
    dynamodb,
    s3,
    secretsmanager,
    securityhub,
    securityhub_findings,
    securityhub_v2,
    sns,
    wafv2,
    wafv2_writes,
)
from edgeguard_tools.local.moto_ext.cloudfront import (
    distribution_settle_reads,
    reset_distribution_settle_reads,
    set_distribution_settle_reads,
    settle_distribution,
)
from edgeguard_tools.local.moto_ext.securityhub_v2 import (
    findings_imported_v2_event,
    put_ocsf_finding,
)
from edgeguard_tools.local.moto_ext.sns import confirm_subscription
from edgeguard_tools.local.moto_ext.wafv2 import seed_rate_limited, seed_sampled_requests
from edgeguard_tools.local.moto_ext.wafv2_logs import SeedReport, seed_from_waf_log


def install() -> None:
    """Register every extension on moto's classes. Safe to call any number of times."""
    securityhub.install()
    securityhub_findings.install()
    securityhub_v2.install()
    cloudfront.install()
    wafv2.install()
    wafv2_writes.install()
    secretsmanager.install()
    s3.install()
    dynamodb.install()
    sns.install()


__all__ = [
    "SeedReport",
    "confirm_subscription",
    "distribution_settle_reads",
    "findings_imported_v2_event",
    "install",
    "put_ocsf_finding",
    "reset_distribution_settle_reads",
    "seed_from_waf_log",
    "seed_rate_limited",
    "seed_sampled_requests",
    "set_distribution_settle_reads",
    "settle_distribution",
]
