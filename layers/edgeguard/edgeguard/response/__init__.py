"""Security response: CloudTrail logging restored from API events, findings and a custom action.

Modules, one job each: ``trail`` (names/ARNs of trails), ``actor`` (who did it),
``api_call`` (the CloudTrail API event), ``cloudtrail`` (start, verify, read and
restore a trail), ``snapshots`` (the recorded configuration), ``guard`` (the fast
path), ``findings`` (Security Hub / GuardDuty findings into tasks), ``steps`` (the
state machine's tasks), ``securityhub`` (workflow updates), ``alerts`` (what we say).
"""
