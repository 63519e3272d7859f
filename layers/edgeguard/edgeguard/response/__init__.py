"""Security response: CloudTrail logging restored from API events, findings and a custom action.

Modules, one job each: ``trail`` (names/ARNs of trails), ``actor`` (who did it),
``api_call`` (the CloudTrail API event), ``cloudtrail`` (start, verify, read and
restore a trail), ``snapshots`` (the recorded configuration), ``guard`` (the fast
path from an API call to a restore and its alert), ``findings`` (Security Hub /
GuardDuty findings into tasks), ``steps`` (the state machine's tasks),
``securityhub`` (workflow updates), ``identity`` (the function's own role),
``settings`` (the environment) and ``service`` (what the handlers call).
"""
