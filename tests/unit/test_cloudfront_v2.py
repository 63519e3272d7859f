"""CloudFront standard logging v2 (W3C, Plain, JSON, Parquet) and real-time records.

The cases of issue 12 (copied into tests/fixtures/logs) give their right results
through ``edgeguard replay --format auto``; a property test renders random request
sets in random documented field selections, orders, delimiters and output formats
and expects the decisions of the legacy rendering of the same requests.
"""

from __future__ import annotations

import gzip
import io
import json
import random
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edgeguard.decisions import MemoryStore
from edgeguard.logs.analyzer import Replay
from edgeguard.logs.cloudfront_fields import (
    DELIMITERS,
    V2_DEFAULT_FIELDS,
    MissingFields,
)
from edgeguard.logs.cloudfront_v2 import FieldLists
from edgeguard.logs.reader import read_log
from edgeguard_tools import log_samples as samples
from edgeguard_tools.cli import main

FIXTURES = Path(__file__).parent.parent / "fixtures" / "logs"
CASES = (
    "cloudfront-v2-json",
    "cloudfront-v2-parquet",
    "cloudfront-v2-w3c-chosen-fields",
    "cloudfront-realtime",
)
T0 = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)


@pytest.mark.parametrize("case", CASES)
def test_case_gives_its_right_result_through_replay(case, capsys):
    assert main(["replay", "--json", "--format", "auto", str(FIXTURES / case)]) == 0
    out, err = capsys.readouterr()
    banned = {json.loads(line)["value"] for line in out.splitlines()}
    assert banned == {"45.155.205.23/32", "2a02:c207:2051:1234::/64"}
    assert "81.2.69.142/32" not in banned
    assert "0 skipped" in err


def test_chosen_fields_are_recognised_from_content_under_any_name(tmp_path, capsys):
    source = next((FIXTURES / "cloudfront-v2-w3c-chosen-fields").rglob("*.gz"))
    renamed = tmp_path / "x"
    shutil.copy(source, renamed)
    assert main(["replay", "--json", str(renamed)]) == 0
    banned = {json.loads(line)["value"] for line in capsys.readouterr().out.splitlines()}
    assert banned == {"45.155.205.23/32", "2a02:c207:2051:1234::/64"}


def test_parquet_with_w3c_column_names_reads_like_athena_names():
    source = next((FIXTURES / "cloudfront-v2-parquet").rglob("*.parquet")).read_bytes()
    frame = pl.read_parquet(io.BytesIO(source))
    by_name = {
        column: name
        for column in frame.columns
        for name in V2_DEFAULT_FIELDS
        if column == name.replace("(", "_").replace(")", "").replace("-", "_").lower()
    }
    renamed = frame.rename({c: by_name.get(c, c) for c in frame.columns})
    assert "cs(User-Agent)" in renamed.columns and "c-ip" in renamed.columns
    buffer = io.BytesIO()
    renamed.write_parquet(buffer)
    athena, w3c = read_log(source), read_log(buffer.getvalue())
    assert athena.parsed == w3c.parsed == 17
    assert athena.frame.equals(w3c.frame)


def test_realtime_records_with_another_configuration_need_its_field_list(tmp_path, capsys):
    fields = [
        "c-ip",
        "timestamp",
        "cs-method",
        "cs-uri-stem",
        "cs-uri-query",
        "sc-status",
        "cs-user-agent",
    ]
    when = T0.timestamp()
    lines = [f"45.155.205.23\t{when + i:.3f}\tGET\t/.env\t-\t404\tcurl/8.9.1" for i in range(6)]
    (tmp_path / "rt.gz").write_bytes(gzip.compress("\n".join(lines).encode()))
    assert main(["replay", str(tmp_path)]) == 2
    assert "cannot tell the log format" in capsys.readouterr().err
    assert main(["replay", "--realtime-fields", ",".join(fields), str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("ban 45.155.205.23/32 sensitive_files events=6 ")
    assert "source=cloudfront-realtime" in out


def test_replay_refuses_a_field_list_without_what_detection_reads(capsys):
    assert main(["replay", "--fields", "date time c-ip cs-method", str(FIXTURES)]) == 2
    err = capsys.readouterr().err
    for name in ("cs-uri-stem", "cs-uri-query", "sc-status", "cs(User-Agent)"):
        assert name in err


# --------------------------------------------------------------------- property test

_NEEDED = ("c-ip", "cs-method", "cs-uri-stem", "cs-uri-query", "sc-status", "cs(User-Agent)")
_TIMES = (("date", "time"), ("timestamp",), ("timestamp(ms)",))
_EXTRA = tuple(n for n in V2_DEFAULT_FIELDS if n not in (*_NEEDED, "date", "time"))
_CLIENTS = ("45.155.205.23", "2a02:c207:2051:1234::17", "81.2.69.142", "203.0.113.9")
_REQUESTS = (
    ("/.env", "-", 404),
    ("/.git/config", "-", 404),
    ("/../../etc/passwd", "-", 400),
    ("/search", "q=1%27%20OR%20%271%27=%271", 200),
    ("/", "-", 200),
    ("/products", "page=2", 200),
)
# Delimiter-free agents: CloudFront URL-encodes spaces, not commas, so a comma-delimited
# file cannot carry an agent holding a comma unambiguously (docs/log-formats.md).
_AGENTS = (
    "Mozilla/5.0 (X11; Linux x86_64)",
    "sqlmap/1.8.2#stable (https://sqlmap.org)",
    "curl/8.9.1",
)

requests_strategy = st.lists(
    st.tuples(
        st.integers(0, 600),  # seconds after T0
        st.integers(0, 999),  # milliseconds
        st.sampled_from(_CLIENTS),
        st.sampled_from(_REQUESTS),
        st.sampled_from(_AGENTS),
    ),
    min_size=1,
    max_size=60,
)


def _records(requests) -> tuple[list[str], list[dict[str, str]]]:
    legacy, records = [], []
    for seconds, millis, client, (path, query, status), agent in sorted(requests):
        when = T0 + timedelta(seconds=seconds, milliseconds=millis)
        line = samples.cloudfront_line(when, client, path, status, query, ua=agent)
        legacy.append(line)
        values = dict(zip(V2_DEFAULT_FIELDS, [*line.split("\t"), "DE", "*"], strict=True))
        values["timestamp"] = f"{when.timestamp():.3f}"
        values["timestamp(ms)"] = str(int(when.timestamp() * 1000))
        records.append(values)
    return legacy, records


def _render(records, names, delimiter, output, athena_names) -> tuple[bytes, FieldLists]:
    lists = FieldLists()
    if output == "json":
        text = "".join(json.dumps({n: r[n] for n in names}) + "\n" for r in records)
        return gzip.compress(text.encode()), lists
    if output == "parquet":
        column = (
            (lambda n: n.replace("(", "_").replace(")", "").replace("-", "_").lower())
            if athena_names
            else (lambda n: n)
        )
        frame = pl.DataFrame({column(n): [r[n] for r in records] for n in names})
        buffer = io.BytesIO()
        frame.write_parquet(buffer)
        return buffer.getvalue(), lists
    body = "".join(delimiter.join(r[n] for n in names) + "\n" for r in records)
    if output == "w3c":
        body = "#Version: 1.0\n#Fields: " + " ".join(names) + "\n" + body
    else:  # plain: the field list comes from configuration
        lists = FieldLists(standard=tuple(names))
    return gzip.compress(body.encode()), lists


def _decisions(parsed) -> list[tuple]:
    replay = Replay()
    replay.add(parsed)
    return sorted(
        (
            o.verdict.client,
            o.verdict.scenario,
            o.verdict.events,
            o.verdict.overflow_at,
            o.result.status,
        )
        for o in replay.decide(MemoryStore())
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    requests=requests_strategy,
    time_fields=st.sampled_from(_TIMES),
    extra=st.lists(st.sampled_from(_EXTRA), unique=True, max_size=8),
    seed=st.integers(0, 2**32 - 1),
    delimiter=st.sampled_from(DELIMITERS),
    output=st.sampled_from(("w3c", "plain", "json", "parquet")),
    athena_names=st.booleans(),
)
def test_v2_decisions_equal_the_legacy_rendering(
    requests, time_fields, extra, seed, delimiter, output, athena_names
):
    legacy, records = _records(requests)
    names = [*_NEEDED, *time_fields, *extra]
    random.Random(seed).shuffle(names)
    body, lists = _render(records, names, delimiter, output, athena_names)
    expected = _decisions(read_log(samples.cloudfront_object(legacy)))
    parsed = read_log(body, "renamed", "auto", lists)
    assert parsed.format == "cloudfront"
    assert (parsed.lines, parsed.skipped) == (len(records), 0)
    assert _decisions(parsed) == expected


@settings(max_examples=30, deadline=None)
@given(
    missing=st.sampled_from((*_NEEDED, "time")),
    output=st.sampled_from(("w3c", "plain", "json", "parquet")),
    delimiter=st.sampled_from(DELIMITERS),
)
def test_a_selection_without_a_field_detection_reads_is_refused_naming_it(
    missing, output, delimiter
):
    _, records = _records([(1, 0, "45.155.205.23", ("/.env", "-", 404), "curl/8.9.1")])
    names = [n for n in (*_NEEDED, "date", "time", "x-edge-location") if n != missing]
    with pytest.raises(
        MissingFields, match=r"lacks .*" + missing.replace("(", r"\(").replace(")", r"\)")
    ):
        if output == "plain":
            FieldLists.parse(" ".join(names))
        body, lists = _render(records, names, delimiter, output, False)
        read_log(body, "", "cloudfront", lists)


def test_a_damaged_json_record_is_skipped_and_the_others_still_decide():
    (path,) = (FIXTURES / "cloudfront-v2-json").rglob("*.gz")
    lines = gzip.decompress(path.read_bytes()).splitlines()
    damaged = [*lines[:3], b'{"c-ip": "45.155.205.23", "sc-status": 4', b"[1, 2]", *lines[3:]]
    parsed = read_log(gzip.compress(b"\n".join(damaged)))
    assert (parsed.lines, parsed.skipped) == (len(lines) + 2, 2)
    assert {v for v, *_ in _decisions(parsed)} == {"45.155.205.23", "2a02:c207:2051:1234::/64"}
