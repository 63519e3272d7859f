"""Origin secret rotation: the X-Origin-Verify header rotated with no moment of lockout.

The four Secrets Manager steps (createSecret, setSecret, testSecret, finishSecret) live in
``service`` (``OriginSecretRotator``); each AWS side has its own module:
``secret_versions`` (Secrets Manager), ``origin_rule`` (the REGIONAL web ACL rule
``origin-verify``), ``cloudfront_header`` (the distribution's origin custom header) and
``probe`` (HTTP requests to the origin). Source of the step protocol: "AWS Secrets
Manager User Guide: Lambda rotation functions".
"""
