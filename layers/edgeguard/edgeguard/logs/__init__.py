"""Log-driven blocking (DESIGN.md capability 4): parse CloudFront, ALB and WAF logs, run
the detection scenarios over the log's own timestamps, aggregate across files
(``state``) and record ban decisions (``analyzer``); ``service`` is the Lambda logic.
"""
