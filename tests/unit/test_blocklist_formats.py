"""Feed formats and the BlocklistFeeds parameter: each documented form read right, every
malformed one refused with a reason (no network: bodies and text)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edgeguard.blocklist.feeds import DEFAULT_FEEDS, parse_feeds
from edgeguard.blocklist.formats import FeedFormatError, guess_format, parse
from edgeguard.blocklist.safety import shrink_refusal
from edgeguard.config import ConfigError

FIXTURES = Path(__file__).parent.parent / "fixtures" / "blocklist"


def test_drop_json_reads_cidrs_and_checks_the_declared_record_count():
    parsed = parse((FIXTURES / "drop_v4.json").read_bytes(), "drop-json")
    assert parsed.entries[:2] == ["1.10.16.0/20", "1.19.0.0/16"]
    assert parsed.declared == 6 == len(parsed.entries)


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b'{"cidr":"1.10.16.0/20","sblid":"SBL1"}\n', "no metadata line"),
        (b'{"cidr":"1.10.16.0/20"}\n{"type":"metadata","records":2}\n', "declares 2 records"),
        (b'{"type":"metadata","records":0}\n{"cidr":"1.10.16.0/20"}\n', "follows the metadata"),
        (b'{"cidr":"1.10.16.0/20"}\n{"type":"metadata"}\n', "no record count"),
        (b"<!DOCTYPE html><html><body>Just a moment...</body></html>", "HTML"),
        (b"\xff\xfe\x00\x01", "not UTF-8"),
    ],
)
def test_malformed_drop_json_is_rejected_whole(body, why):
    with pytest.raises(FeedFormatError, match=why):
        parse(body, "drop-json")


def test_an_unreadable_record_is_counted_and_still_counts_against_the_total():
    body = b'{"cidr":"1.10.16.0/20"}\nnot json\n{"type":"metadata","records":2}\n'
    parsed = parse(body, "drop-json")
    assert (parsed.entries, parsed.unreadable) == (["1.10.16.0/20"], 1)
    assert "line 2: not JSON" in parsed.problems[0]


def test_text_forms_take_the_first_word_and_skip_comments():
    assert parse((FIXTURES / "drop.txt").read_bytes(), "drop-text").entries[0] == "1.10.16.0/20"
    assert parse(b"# c\n1.2.3.4 ; x\n\n5.6.7.0/24 # y\n", "plain").entries == [
        "1.2.3.4",
        "5.6.7.0/24",
    ]
    bad = parse(b"1.2.3.4 5.6.7.8\n", "netset")
    assert bad.entries == [] and bad.unreadable == 1


def test_exit_addresses_reads_only_exit_address_lines():
    parsed = parse((FIXTURES / "exit-addresses").read_bytes(), "tor-exit-addresses")
    assert parsed.entries == ["162.247.74.201", "185.220.101.4", "2001:67c:e60:c0c:192:42:116:16"]
    with pytest.raises(FeedFormatError, match="ExitNode"):
        parse(b"185.220.101.4\n", "tor-exit-addresses")


def test_guess_format_from_content():
    assert guess_format((FIXTURES / "drop_v6.json").read_bytes()) == "drop-json"
    assert guess_format((FIXTURES / "drop.txt").read_bytes()) == "drop-text"
    assert guess_format((FIXTURES / "exit-addresses").read_bytes()) == "tor-exit-addresses"
    assert guess_format((FIXTURES / "firehol_level1.netset").read_bytes()) == "plain"


def test_shrink_refusal_is_a_fraction_of_the_previous_list():
    assert shrink_refusal(100, 10, 0.5) is not None
    assert shrink_refusal(100, 50, 0.5) is None  # exactly half: allowed
    assert shrink_refusal(0, 0, 0.5) is None  # first import
    assert shrink_refusal(100, 120, 0.5) is None


def test_feeds_default_and_override_by_name():
    assert parse_feeds("default") == DEFAULT_FEEDS
    assert [f.name for f in DEFAULT_FEEDS if f.enabled] == [
        "spamhaus-drop",
        "spamhaus-dropv6",
        "et-compromised",
    ]
    (tor,) = parse_feeds(json.dumps([{"name": "tor-exits", "enabled": True}]))
    assert (tor.format, tor.action, tor.enabled) == ("tor-bulk", "captcha", True)


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("{", "not JSON"),
        ('{"name": "x"}', "JSON array"),
        ('[{"name": "new"}]', "needs 'url' and 'format'"),
        ('[{"name": "spamhaus-drop", "colour": 1}]', "unknown keys"),
        ('[{"name": "spamhaus-drop", "action": "nuke"}]', "action must be"),
        ('[{"name": "spamhaus-drop", "max_width_v4": 4}]', "max_width_v4 must be 8-32"),
        ('[{"name": "spamhaus-drop", "max_width_v4": true}]', "whole number"),
        ('[{"name": "spamhaus-drop", "url": "http://x.example/drop"}]', "https://"),
        ('[{"name": "a", "url": "https://x/1", "format": "csv"}]', "format must be"),
        ('[{"name": "spamhaus-drop"}, {"name": "spamhaus-drop"}]', "named twice"),
        ('[{"name": "Bad Name", "url": "https://x/1", "format": "plain"}]', "a name is"),
    ],
)
def test_feeds_parameter_errors_name_the_feed_and_field(raw, why):
    with pytest.raises(ConfigError, match=why):
        parse_feeds(raw)
