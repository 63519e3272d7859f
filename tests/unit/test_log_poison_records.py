"""Poison records: one bad record is skipped and counted; the file's other records still decide.

Each poison sits among the twelve BLOCKed requests of 203.0.113.68 (a waf_blocked ban)
in one WAF log file; the same file must give the same ban as without the poison.
"""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta

import pytest

from edgeguard.decisions import MemoryStore
from edgeguard.logs.analyzer import Replay
from edgeguard.logs.reader import read_log
from edgeguard_tools import log_samples as samples

T0 = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
ATTACKER = "203.0.113.68"


def blocked(n: int = 12) -> list[bytes]:
    return [
        samples.waf_record(T0 + timedelta(seconds=5 * i), ATTACKER, "/login", "BLOCK").encode()
        for i in range(n)
    ]


def poison_record(**changes) -> bytes:
    record = json.loads(samples.waf_record(T0, "198.51.100.9", "/", "ALLOW"))
    for path, value in changes.items():
        target = record
        *parents, last = path.split("__")
        for parent in parents:
            target = target[parent]
        target[last] = value
    return json.dumps(record).encode()


POISONS = {
    "integer overflow": b'{"timestamp":1795183200000,"action":"ALLOW",'
    b'"responseCodeSent":2147483648,"httpRequest":{"clientIp":"198.51.100.9","uri":"/","headers":[]}}',
    "huge timestamp": poison_record(timestamp=10**30),
    "lone surrogate (escaped)": b'{"timestamp":1795183200000,"action":"ALLOW",'
    b'"httpRequest":{"clientIp":"198.51.100.9","uri":"/\\ud800","headers":[]}}',
    "NUL byte, raw": poison_record(httpRequest__uri="/a").replace(b"/a", b"/\x00a"),
    "NUL byte, escaped": poison_record(httpRequest__uri="/\x00a"),
    "1 MB URI": poison_record(httpRequest__uri="/" + "A" * (1 << 20)),
    "invalid UTF-8": poison_record(httpRequest__uri="/x").replace(b"/x", b"/\xff\xfe\xc3"),
    "not an object": b"[1, 2, 3]",
    "truncated JSON": b'{"timestamp":1795183200000,"httpRequest":{"clientIp":',
    "client is not an address": poison_record(httpRequest__clientIp="<script>"),
}


def decide(data: bytes) -> tuple[dict[str, str], int, int]:
    parsed = read_log(data, "aws-waf-logs-edgeguard/x.log")
    run = Replay()
    run.add(parsed)
    outcomes = run.decide(MemoryStore())
    return {o.verdict.client: o.verdict.scenario for o in outcomes}, parsed.lines, parsed.skipped


@pytest.mark.parametrize("name", sorted(POISONS))
@pytest.mark.parametrize("compress", [False, True])
def test_a_poison_record_never_fails_the_file(name, compress):
    records = blocked()
    records.insert(6, POISONS[name])
    text = b"\n".join(records) + b"\n"
    decisions, lines, skipped = decide(gzip.compress(text) if compress else text)
    assert decisions == {ATTACKER: "waf_blocked"}
    assert lines == 13
    assert skipped <= 1


def test_records_that_are_damaged_are_counted_as_skipped():
    records = [*blocked(), POISONS["integer overflow"], POISONS["truncated JSON"]]
    _, lines, skipped = decide(b"\n".join(records))
    assert (lines, skipped) == (14, 2)


def test_a_lone_surrogate_or_a_1_mb_uri_keeps_the_request_in_a_storable_form():
    parsed = read_log(
        b"\n".join([POISONS["lone surrogate (escaped)"], POISONS["1 MB URI"]]), "waf.log"
    )
    paths = parsed.frame["path"].to_list()
    assert paths[0] == "/\ufffd"
    assert len(paths[1]) == 8192
    json.dumps(paths).encode("utf-8")  # storable and sendable


def test_a_poison_record_among_concatenated_records_costs_only_itself():
    line = b"".join(blocked(6)) + POISONS["truncated JSON"] + b"".join(blocked(12)[6:])
    decisions, lines, skipped = decide(line)
    assert decisions == {ATTACKER: "waf_blocked"}
    assert skipped == 1
    assert lines == 13
