"""Downloading a feed: conditional GET, bounded in time and size, every failure named.

HTTP is urllib3, the client botocore itself is built on (so it is in every Lambda
already; the layer pins it): connection pooling across the feeds of a run, separate
connect and read timeouts, a redirect limit, gzip decoding while streaming (so the size
limit applies to what is decoded, not only to what travelled), and a ``Content-Length``
that is not met is an error rather than a short body. Conditional requests follow
"RFC 9110: HTTP Semantics" (If-None-Match with the ETag, If-Modified-Since with the
Last-Modified value; 304 Not Modified means the stored copy is current).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3

from edgeguard.errors import EdgeguardError

DEFAULT_TIMEOUT_SECONDS = 20.0
DEFAULT_MAX_BYTES = 32 * 1024 * 1024
CHUNK_BYTES = 64 * 1024
USER_AGENT = "edgeguard-blocklist/1 (+https://github.com/edgeguard; docs/blocklists.md)"


class FetchError(EdgeguardError, RuntimeError):
    """A download that failed as a whole; the message says why (never a credential)."""


@dataclass(frozen=True)
class Validators:
    """What makes the next request conditional: the response's ``ETag`` and
    ``Last-Modified`` header values ("" when the server sent none)."""

    etag: str = ""
    last_modified: str = ""


@dataclass(frozen=True)
class Download:
    """A completed response: ``status`` 200 (``body`` holds the decoded bytes) or 304
    (``body`` is empty: the copy seen last is current), the validators to send next time,
    the ``Content-Type`` and how many bytes the body had."""

    status: int
    body: bytes
    validators: Validators
    content_type: str = ""

    @property
    def not_modified(self) -> bool:
        """True for 304 Not Modified."""
        return self.status == 304


class Fetcher:
    """GETs feeds: ``timeout_seconds`` bounds connecting, each read, and the whole body
    (checked between chunks); ``max_bytes`` bounds the decoded body."""

    def __init__(
        self,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        max_bytes: int = DEFAULT_MAX_BYTES,
        pool: urllib3.PoolManager | None = None,
    ) -> None:
        if timeout_seconds <= 0 or max_bytes <= 0:
            raise ValueError("a fetcher needs a positive timeout and size limit")
        self.timeout_seconds = timeout_seconds
        self.max_bytes = max_bytes
        self.pool = pool or urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=min(timeout_seconds, 10.0), read=timeout_seconds),
            # two more tries for a refused or reset connection; never re-sent after a read
            # began (the next scheduled run retries); at most 3 redirects
            retries=urllib3.Retry(total=2, connect=2, read=0, status=0, redirect=3),
        )

    def fetch(self, url: str, validators: Validators | None = None) -> Download:
        """GET ``url``, conditional on ``validators``; a 200 or 304 ``Download``.

        Raises:
            FetchError: connection or TLS failure, timeout, a status other than 200/304,
                an HTML page, a body over ``max_bytes``, a body shorter than its
                Content-Length (truncated), or a redirect from https to http.
        """
        # request headers replace the pool's defaults, so the User-Agent goes here
        headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"}
        if validators and validators.etag:
            headers["If-None-Match"] = validators.etag
        if validators and validators.last_modified:
            headers["If-Modified-Since"] = validators.last_modified
        deadline = time.monotonic() + self.timeout_seconds
        try:
            response = self.pool.request("GET", url, headers=headers, preload_content=False)
            try:
                return self._read(url, response, deadline)
            finally:
                response.release_conn()
        except urllib3.exceptions.HTTPError as error:
            raise FetchError(f"download failed: {_why(error)}") from None
        except OSError as error:
            raise FetchError(f"download failed: {type(error).__name__}: {error}") from None

    def _read(self, url: str, response: urllib3.BaseHTTPResponse, deadline: float) -> Download:
        final = response.geturl() or url
        if urlsplit(url).scheme == "https" and urlsplit(final).scheme != "https":
            raise FetchError(f"redirected from https to {urlsplit(final).scheme}: refused")
        found = Validators(
            etag=response.headers.get("ETag", ""),
            last_modified=response.headers.get("Last-Modified", ""),
        )
        content_type = response.headers.get("Content-Type", "")
        if response.status == 304:
            return Download(304, b"", found, content_type)
        if response.status != 200:
            raise FetchError(f"HTTP {response.status} {response.reason or ''}".strip())
        if content_type.split(";")[0].strip().lower() in {"text/html", "application/xhtml+xml"}:
            raise FetchError(f"an HTML page ({content_type}) with status 200, not a list")
        chunks: list[bytes] = []
        size = 0
        for chunk in response.stream(CHUNK_BYTES, decode_content=True):
            size += len(chunk)
            if size > self.max_bytes:
                raise FetchError(f"larger than the {self.max_bytes:,}-byte limit (MaxFeedBytes)")
            if time.monotonic() > deadline:
                raise FetchError(f"took longer than {self.timeout_seconds:g} s: timed out")
            chunks.append(chunk)
        return Download(200, b"".join(chunks), found, content_type)


def _why(error: Exception) -> str:
    """A short reason for a urllib3 error (the innermost cause of a MaxRetryError)."""
    reason = getattr(error, "reason", None)
    inner = reason if isinstance(reason, Exception) else error
    name = type(inner).__name__
    if "Timeout" in name:
        return f"timed out ({name})"
    if "IncompleteRead" in name or "ProtocolError" in name:
        return f"the body was cut short (truncated): {name}"
    return f"{name}: {str(inner)[:200]}"
