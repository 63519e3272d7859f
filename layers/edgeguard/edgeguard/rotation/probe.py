"""HTTP requests to the origin: is a header value admitted, is a request without it refused."""

from __future__ import annotations

import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass

HEADER_NAME = "X-Origin-Verify"
REFUSED_STATUS = 403  # what a WAF block returns


@dataclass(frozen=True)
class ProbeResult:
    """The origin's answer to one probe: the HTTP status (None when there was no HTTP
    answer: timeout, connection refused, TLS failure) and, then, what went wrong.
    """

    status: int | None  # None: no HTTP answer (timeout, connection refused)
    detail: str = ""

    @property
    def admitted(self) -> bool:
        """True for a 2xx or 3xx answer (redirects are not followed)."""
        return self.status is not None and 200 <= self.status < 400

    @property
    def refused(self) -> bool:
        """True for 403, the status a WAF block returns."""
        return self.status == REFUSED_STATUS


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Never follow a redirect: the secret header must not travel to another address."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def request(url: str, header_value: str | None, timeout: float) -> ProbeResult:
    """GET ``url`` with (or without) the header; every request has a timeout.

    ``timeout`` is in seconds. An HTTP error status is a result, not an exception;
    so is no answer at all (status None).

    Raises:
        ValueError: ``url`` is not http:// or https://.
    """
    if not url.startswith(("http://", "https://")):
        raise ValueError("origin URL must start with http:// or https://")
    headers = {"User-Agent": "edgeguard-origin-rotation/1"}
    if header_value is not None:
        headers[HEADER_NAME] = header_value
    req = urllib.request.Request(url, headers=headers, method="GET")  # noqa: S310 - scheme checked
    opener = urllib.request.build_opener(
        urllib.request.HTTPSHandler(context=ssl.create_default_context()), _NoRedirect()
    )
    try:
        with opener.open(req, timeout=timeout) as response:
            return ProbeResult(response.status)
    except urllib.error.HTTPError as error:
        return ProbeResult(error.code)
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        return ProbeResult(None, f"{type(error).__name__}: {reason}")
