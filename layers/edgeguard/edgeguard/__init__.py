"""edgeguard: security automation for a web app behind CloudFront, WAF and an ALB.

Importing this package never creates an AWS client or reads the environment;
handlers read their configuration once at cold start (see ``edgeguard.config``).
"""

__version__ = "0.1.0"
