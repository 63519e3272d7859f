"""Parsers of the three documented log formats, format detection, and robustness."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edgeguard.logs import alb, cloudfront, waf
from edgeguard.logs.analyzer import Replay
from edgeguard.logs.reader import (
    CorruptObject,
    UnknownFormat,
    UnreadableLog,
    decompress,
    detect,
    read_log,
)
from edgeguard_tools import log_samples as samples

WHEN = datetime(2026, 11, 20, 14, 5, 9, tzinfo=UTC)
EPOCH = int(WHEN.timestamp())


def test_cloudfront_fields_come_from_the_header_not_positions():
    line = samples.cloudfront_line(WHEN, "203.0.113.9", "/search", 200, "q=a%20b&x=1")
    # Same request with the header listing fewer fields, in another order.
    values = dict(zip(cloudfront.DOCUMENTED_FIELDS, line.split("\t"), strict=True))
    names = ["time", "date", "cs-uri-query", "c-ip", "sc-status", "cs-uri-stem", "cs(User-Agent)"]
    names.insert(3, "cs-method")  # issue 12: a selection without a field detection reads is refused
    text = "#Version: 1.0\n#Fields: " + " ".join(names) + "\n"
    text += "\t".join(values[n] for n in names) + "\n"
    parsed = cloudfront.parse(text.encode())
    row = parsed.frame.row(0, named=True)
    assert (parsed.lines, parsed.skipped) == (1, 0)
    assert row["ts"] == EPOCH
    assert (row["client"], row["path"], row["status"]) == ("203.0.113.9", "/search", 200)
    assert row["query"] == "q=a%20b&x=1"


def test_cloudfront_dash_means_empty_and_ua_is_kept_encoded_for_matching():
    body = samples.cloudfront_object([samples.cloudfront_line(WHEN, "203.0.113.9", "/", 304)])
    parsed = read_log(body, "cloudfront/E2EXAMPLE.2026-11-20-14.abcd1234.gz")
    row = parsed.frame.row(0, named=True)
    assert parsed.format == "cloudfront"
    assert row["query"] == ""
    assert row["ua"].startswith("Mozilla/5.0%20(Windows%20NT")
    assert row["status"] == 304


def test_cloudfront_malformed_lines_are_counted_and_skipped():
    good = samples.cloudfront_line(WHEN, "203.0.113.9", "/", 200)
    lines = [
        good,
        "garbage",
        good.replace("2026-11-20", "2026-13-45"),
        good.replace("\t200\t", "\tOK\t"),
        "\t".join(good.split("\t")[:3]),
        good.replace("203.0.113.9", "not an ip"),
        good + "\textra\tfields",
    ]
    parsed = read_log(samples.cloudfront_object(lines))
    assert (parsed.lines, parsed.skipped, parsed.frame.height) == (7, 5, 2)


def test_alb_quoted_fields_and_extra_trailing_fields():
    line = samples.alb_line(
        WHEN, "203.0.113.9", "/a%20b", 404, "x=1&y=%27", ua="Mozilla/5.0 (X11; Linux)"
    )
    line += ' "new-field" 42'
    ipv6 = samples.alb_line(WHEN, "2001:db8::7", "/", 200)
    parsed = read_log(gzip.compress((line + "\n" + ipv6 + "\nnot an alb line\n").encode()))
    assert parsed.format == "alb"
    assert (parsed.lines, parsed.skipped) == (3, 1)
    first, second = parsed.frame.iter_rows(named=True)
    assert (first["client"], first["method"], first["status"]) == ("203.0.113.9", "GET", 404)
    assert (first["path"], first["query"]) == ("/a%20b", "x=1&y=%27")
    assert first["ua"] == "Mozilla/5.0 (X11; Linux)"
    assert first["ts"] == EPOCH
    assert second["client"] == "2001:db8::7"


def test_waf_records_and_blocked_flag():
    records = [
        samples.waf_record(
            WHEN, "203.0.113.9", "/login", "BLOCK", args="u=admin", rule="RateLimit"
        ),
        samples.waf_record(WHEN, "198.51.100.1", "/", "ALLOW"),
        '{"timestamp": "soon"}',
        "[]",
    ]
    parsed = read_log(
        samples.waf_object(records),
        "AWSLogs/123456789012/WAFLogs/cloudfront/edgeguard/2026/11/20/14/05/x.log.gz",
    )
    assert parsed.format == "waf"
    assert (parsed.lines, parsed.skipped) == (4, 2)
    blocked = parsed.frame.filter(parsed.frame["blocked"]).row(0, named=True)
    assert (blocked["client"], blocked["path"], blocked["query"]) == (
        "203.0.113.9",
        "/login",
        "u=admin",
    )
    assert blocked["ts"] == EPOCH


def test_format_is_detected_by_content_with_the_key_as_hint():
    cf = samples.cloudfront_object(
        [samples.cloudfront_line(WHEN, "203.0.113.9", "/")], compress=False
    )
    headerless = samples.cloudfront_line(WHEN, "203.0.113.9", "/").encode()
    assert detect(cf) == "cloudfront"
    assert detect(headerless) == "cloudfront"
    assert detect(samples.alb_line(WHEN, "203.0.113.9", "/").encode()) == "alb"
    assert detect(samples.waf_record(WHEN, "203.0.113.9", "/").encode()) == "waf"
    assert (
        detect(b"???", "AWSLogs/123456789012/elasticloadbalancing/us-east-1/2026/11/20/x.log.gz")
        == "alb"
    )
    with pytest.raises(UnknownFormat):
        detect(b"hello world\n", "notes.txt")


def test_gzip_members_plain_text_and_corruption():
    one = samples.cloudfront_line(WHEN, "203.0.113.9", "/")
    two = samples.cloudfront_line(WHEN, "203.0.113.10", "/")
    multi = gzip.compress((one + "\n").encode()) + gzip.compress((two + "\n").encode())
    assert decompress(multi) == (one + "\n" + two + "\n").encode()
    assert read_log(multi).frame.height == 2
    assert read_log((one + "\n").encode()).frame.height == 1
    with pytest.raises(CorruptObject):
        read_log(samples.cloudfront_object([one] * 200)[:-30])  # truncated upload
    with pytest.raises(CorruptObject):
        read_log(b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(CorruptObject):
        read_log(b"\x1f\x8b\x08\x00" + b"\x00" * 40)
    flipped = bytearray(samples.cloudfront_object([one] * 200))
    flipped[len(flipped) // 2 : len(flipped) // 2 + 8] = b"\xff" * 8
    with pytest.raises(CorruptObject):
        read_log(bytes(flipped))


def test_empty_object_is_zero_lines():
    parsed = read_log(gzip.compress(b""))
    assert (parsed.lines, parsed.skipped) == (0, 0)


# ----------------------------------------------------------------- hypothesis

_cf_line = samples.cloudfront_line(WHEN, "203.0.113.9", "/", 200)
_alb_line = samples.alb_line(WHEN, "203.0.113.9", "/", 200)
_waf_line = samples.waf_record(WHEN, "203.0.113.9", "/")


def _mutations(seed_line: str) -> st.SearchStrategy[str]:
    """Real lines cut, spliced and sprinkled with hostile characters, or pure noise."""
    noise = st.text(alphabet=st.characters(codec="utf-8"), max_size=120)
    cut = st.integers(0, len(seed_line)).map(lambda i: seed_line[:i])
    spliced = st.tuples(st.integers(0, len(seed_line)), noise).map(
        lambda p: seed_line[: p[0]] + p[1] + seed_line[p[0] :]
    )
    hostile = st.sampled_from(['"', "\t", "\r", "\\", "%", "#", "{", "\x00", "  ", "-", "\u2028"])
    sprinkled = st.tuples(st.integers(0, len(seed_line)), hostile).map(
        lambda p: seed_line[: p[0]] + p[1] + seed_line[p[0] :]
    )
    return st.one_of(st.just(seed_line), cut, spliced, sprinkled, noise)


def _parse_lines(parse, body: bytes):
    """Parse ``body``; text that happens to start with gzip's magic bytes 1f 8b is a
    damaged gzip object, which the parsers refuse whole with CorruptObject."""
    if body[:2] == b"\x1f\x8b":
        with pytest.raises(CorruptObject):
            parse(body)
        return _parse_lines(parse, body[2:])
    return parse(body)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_mutations(_cf_line), max_size=8), st.binary(max_size=40))
def test_malformed_cloudfront_lines_never_raise(lines, junk):
    body = ("#Version: 1.0\n" + "\n".join(lines)).encode() + junk
    parsed = _parse_lines(cloudfront.parse, body)
    assert 0 <= parsed.skipped <= parsed.lines
    assert parsed.frame.height == parsed.lines - parsed.skipped


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_mutations(_alb_line), max_size=8), st.binary(max_size=40))
def test_malformed_alb_lines_never_raise(lines, junk):
    parsed = _parse_lines(alb.parse, "\n".join(lines).encode() + junk)
    assert 0 <= parsed.skipped <= parsed.lines
    assert parsed.frame.height == parsed.lines - parsed.skipped


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_mutations(_waf_line), max_size=8), st.binary(max_size=40))
def test_malformed_waf_lines_never_raise(lines, junk):
    parsed = waf.parse("\n".join(lines).encode() + junk)
    assert 0 <= parsed.skipped <= parsed.lines
    assert parsed.frame.height == parsed.lines - parsed.skipped


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.binary(max_size=300),
        st.binary(max_size=60).map(lambda b: b"\x1f\x8b" + b),
        st.binary(max_size=60).map(lambda b: b"PAR1" + b),
    ),
    st.sampled_from(["cloudfront", "alb", "waf"]),
)
def test_any_bytes_with_a_forced_format_never_raise_but_never_pass_as_zero(data, fmt):
    """Any bytes: counted lines, or UnreadableLog when there were lines and none was read."""
    run = Replay()
    try:
        parsed = read_log(data, "", fmt)
    except UnreadableLog as error:
        assert "no line readable" in str(error)
        return
    except CorruptObject:
        # only a container's magic bytes (gzip 1f 8b, Parquet PAR1) make an object
        # "damaged" rather than text with unreadable lines
        assert data[:2] == b"\x1f\x8b" or data[:4] == b"PAR1"
        return
    run.add(parsed)
    assert run.skipped <= run.lines
    assert run.lines == 0 or run.lines > run.skipped


def test_a_waf_record_with_a_long_rule_group_list_is_recognised_without_a_key_hint():
    """ruleGroupList comes before httpRequest and lists every managed rule group with
    its excluded rules; with a dozen groups it runs past 4 KiB."""
    record = json.loads(samples.waf_record(WHEN, "203.0.113.9", "/login", "BLOCK"))
    record["ruleGroupList"] = [
        {
            "ruleGroupId": f"AWS#AWSManagedRulesGroup{n}",
            "terminatingRule": None,
            "nonTerminatingMatchingRules": [],
            "excludedRules": [
                {"exclusionType": "EXCLUDED_AS_COUNT", "ruleId": f"Rule{n}_{i}"} for i in range(12)
            ],
        }
        for n in range(12)
    ]
    text = json.dumps(record, separators=(",", ":"))
    assert text.index('"httpRequest"') > 8192
    parsed = read_log(gzip.compress(text.encode() + b"\n"), "logs/unnamed.gz")
    assert parsed.format == "waf"
    assert parsed.frame.row(0, named=True)["client"] == "203.0.113.9"
