"""Downloading feeds from a real HTTP server on 127.0.0.1: conditional requests, gzip,
the size and time limits, and every failure named."""

from __future__ import annotations

import pytest

from edgeguard.blocklist.fetch import Fetcher, FetchError, Validators
from edgeguard_tools.local.feed_server import FeedServer, Route

BODY = b"".join(f"20.0.{n // 256}.{n % 256}\n".encode() for n in range(5000))


@pytest.fixture
def feeds():
    with FeedServer() as server:
        yield server


def test_conditional_get_answers_304_with_no_body(feeds):
    feeds.routes["/list"] = Route(BODY)
    fetcher = Fetcher(timeout_seconds=2)
    first = fetcher.fetch(feeds.url("/list"))
    assert first.status == 200 and first.body == BODY and first.validators.etag
    again = fetcher.fetch(feeds.url("/list"), first.validators)
    assert again.not_modified and again.body == b""
    sent = feeds.hits[-1].headers
    assert sent["If-None-Match"] == first.validators.etag
    assert sent["If-Modified-Since"] == first.validators.last_modified
    assert sent["User-Agent"].startswith("edgeguard-blocklist/")


def test_gzip_is_decoded_and_the_limit_applies_to_the_decoded_size(feeds):
    feeds.routes["/list"] = Route(BODY, gzip=True)
    assert Fetcher(timeout_seconds=2).fetch(feeds.url("/list")).body == BODY
    with pytest.raises(FetchError, match="larger than the 4,096-byte limit"):
        Fetcher(timeout_seconds=2, max_bytes=4096).fetch(feeds.url("/list"))


@pytest.mark.parametrize(
    ("route", "why"),
    [
        (Route(BODY, fault="500"), "HTTP 500"),
        (Route(BODY, fault="slow", delay=1.5), "timed out"),
        (Route(BODY, fault="html"), "HTML page"),
        (Route(BODY, fault="truncated"), "cut short"),
    ],
)
def test_failures_are_named(feeds, route, why):
    feeds.routes["/list"] = route
    with pytest.raises(FetchError, match=why):
        Fetcher(timeout_seconds=0.5).fetch(feeds.url("/list"), Validators())


def test_a_refused_connection_is_a_fetch_error(feeds):
    url = feeds.url("/list")
    feeds.stop()
    with pytest.raises(FetchError, match="download failed"):
        Fetcher(timeout_seconds=0.5).fetch(url)
