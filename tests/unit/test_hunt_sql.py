"""The hunt SQL: valid Trino for every scenario, generated from the analyzer's settings,
decoding like the analyzer, and executed (on DuckDB) with the analyzer's verdicts."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
import sqlglot
from sqlglot.errors import ErrorLevel

from bench.hunt import hunt_cli
from edgeguard.hunt.sources import ROLES, sources
from edgeguard.hunt.sql import COLUMNS, QueryError, _decode_once, hunt_query, literal
from edgeguard.logs.settings import DetectionSettings
from edgeguard.logs.textops import url_decode
from edgeguard_tools import log_samples as samples
from edgeguard_tools.hunt_local import connect, to_duckdb

START = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
END = START + timedelta(hours=1)
ALL_TABLES = sources({role: role for role in ROLES})
SCENARIOS = [s.name for s in DetectionSettings().scenarios]


@pytest.mark.parametrize("scenario", [*SCENARIOS, None])
def test_every_scenario_parses_as_trino(scenario):
    names = None if scenario is None else [scenario]
    sql = hunt_query(DetectionSettings(), ALL_TABLES, START, END, names)
    tree = sqlglot.parse_one(sql, read="trino", error_level=ErrorLevel.RAISE)
    assert tuple(e.alias_or_name for e in tree.expressions) == COLUMNS
    # It also transpiles to DuckDB, where the local hunt runs it.
    assert "ARG_MIN" in to_duckdb(sql) or "MIN_BY" in to_duckdb(sql)


def test_a_tuning_change_reaches_the_sql():
    tuned = DetectionSettings().with_overrides(
        {
            "sensitive_files": {"capacity": 7, "leak_per_minute": 3},
            "auth_bruteforce": {"paths": ["/sso/*"]},
            "xss_probing": {"enabled": False},
        }
    )
    sql = hunt_query(tuned, ALL_TABLES, START, END)
    assert "('sensitive_files', CAST(0.05 AS double), CAST(7.0 AS double))" in sql
    assert "^(?:/sso/[^/]*)/?$" in sql
    assert "xss_probing" not in sql


@pytest.mark.parametrize(
    ("scenarios", "start", "end", "message"),
    [
        (["nope"], START, END, "unknown or disabled"),
        (None, END, START, "window is empty"),
        ([], START, END, "no scenario"),
    ],
)
def test_what_cannot_be_hunted_is_refused(scenarios, start, end, message):
    with pytest.raises(QueryError, match=message):
        hunt_query(DetectionSettings(), ALL_TABLES, start, end, scenarios)


def test_no_table_and_odd_table_names_are_refused():
    with pytest.raises(QueryError, match="no log table"):
        hunt_query(DetectionSettings(), [], START, END)
    with pytest.raises(ValueError, match="not a table name"):
        sources({"alb": "alb; DROP TABLE x"})


def test_literals_double_quotes_and_refuse_control_characters():
    assert literal("it's") == "'it''s'"
    with pytest.raises(QueryError):
        literal("a\nb")


TRICKY = [
    "%2e%2e%2f",
    "a+b",
    "%2B",
    "%00x",
    "%0a%0D",
    "%c0%ae",
    "%zz%27",
    "%",
    "%%41",
    "%%zz",
    "%4",
    "%4g%41",
    "caf%C3%A9",
    "%252e%252E",
    "100%",
    "%7F%7e",
    "it's",
]


@pytest.mark.parametrize("plus_is_space", [False, True])
def test_sql_url_decoding_is_the_analyzers(plus_is_space):
    """Two passes, as the analyzer decodes a path (plus kept) and a query (plus as space)."""
    con = connect()
    for text in TRICKY:
        value = literal(text)
        if plus_is_space:
            value = f"replace({value}, '+', ' ')"
        sql = to_duckdb(f"SELECT {_decode_once('p1')} FROM (SELECT {_decode_once(value)} AS p1)")
        got = con.execute(sql).fetchone()[0]
        want = (
            pl.DataFrame({"x": [text]})
            .select(url_decode(pl.col("x"), plus_is_space=plus_is_space, passes=2))["x"]
            .item()
        )
        assert got == want, text


def _hunt(directory, *extra):
    return hunt_cli(directory, START, END, *extra)


def _write(directory, lines):
    (directory / "E2EXAMPLE.2026-11-20-14.a1.gz").write_bytes(samples.cloudfront_object(lines))


def test_ipv6_clients_add_up_per_64_and_a_tuning_change_applies(tmp_path):
    """Two addresses of one /64 ask for two sensitive files each: 4 events, over the
    capacity 2 as one client; raised to 5 by overrides, nobody is found."""
    lines = [
        samples.cloudfront_line(START + timedelta(seconds=i), address, path, 404)
        for i, (address, path) in enumerate(
            [
                ("2001:db8:1:2::10", "/.env"),
                ("2001:db8:1:2::99", "/.git/config"),
                ("2001:db8:1:2:aaaa::1", "/backup.sql"),
                ("2001:db8:1:2::10", "/wp-config.php.bak"),
            ]
        )
    ]
    _write(tmp_path, lines)
    code, found, _ = _hunt(tmp_path, "--scenario", "sensitive_files")
    assert code == 0
    assert [(f["value"], f["kind"], f["events"]) for f in found] == [
        ("2001:db8:1:2::/64", "burst", 4)
    ]
    config = tmp_path.parent / "overrides.json"
    config.write_text('{"sensitive_files": {"capacity": 5}}')
    code, found, _ = _hunt(tmp_path, "--scenario", "sensitive_files", "--config", str(config))
    assert (code, found) == (0, [])


def test_a_double_encoded_traversal_in_the_query_is_found(tmp_path):
    when = START + timedelta(minutes=5)
    lines = [
        samples.cloudfront_line(when + timedelta(seconds=i), "203.0.113.50", "/download", 400, q)
        for i, q in enumerate(["file=%252e%252e%252fetc%252fpasswd", "file=..%2f..%2fwin.ini"])
    ]
    _write(tmp_path, lines)
    code, found, _ = _hunt(tmp_path, "--scenario", "path_traversal")
    assert code == 0
    assert [(f["value"], f["scenario"], f["events"]) for f in found] == [
        ("203.0.113.50", "path_traversal", 2)
    ]


def test_bad_input_exits_2_with_a_message(tmp_path):
    assert _hunt(tmp_path)[0] == 2  # nothing readable
    (tmp_path / "notes.txt").write_text("hello\n")
    code, _, err = _hunt(tmp_path)
    assert code == 2
    assert "no CloudFront" in err
    _write(tmp_path, [samples.cloudfront_line(START, "203.0.113.9", "/", 200)])
    code, _, err = _hunt(tmp_path, "--scenario", "nope")
    assert code == 2
    assert "unknown or disabled scenario" in err


def test_the_hunt_function_needs_neither_polars_nor_an_sql_library():
    """HuntFunction has the shared layer only: no polars (DetectionLayer), no sqlglot or
    DuckDB (tools-only). Importing its service with those blocked must work."""
    blocked = "import sys\nfor m in ('polars', 'duckdb', 'sqlglot'):\n    sys.modules[m] = None\n"
    code = blocked + "import edgeguard.hunt.service, edgeguard.hunt.sql\n"
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root / "layers" / "edgeguard")}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=root)


def test_alb_logs_split_by_the_templates_regex_are_hunted(tmp_path):
    """ALB lines (the Glue table's input.regex splits them locally too): \\xHH escapes
    in the request read as %HH, as the analyzer reads them, so the quoted SQL injection
    is found; a scanner's user agent decides on its first request."""
    when = START + timedelta(minutes=10)
    injection = "id=1\\x22%20OR%20\\x221\\x22=\\x221"
    lines = [
        samples.alb_line(when + timedelta(seconds=i), "198.51.100.20", "/item", 200, injection)
        for i in range(3)
    ]
    lines.append(samples.alb_line(when, "198.51.100.21", "/", 200, ua="Nuclei - projectdiscovery"))
    (tmp_path / "123456789012_elasticloadbalancing_us-east-1_app.log.gz").write_bytes(
        samples.alb_object(lines)
    )
    code, found, err = _hunt(tmp_path)
    assert code == 0, err
    assert sorted((f["value"], f["scenario"], f["events"], f["source"]) for f in found) == [
        ("198.51.100.20", "sqli_probing", 3, "alb"),
        ("198.51.100.21", "scanner_user_agent", 1, "alb"),
    ]


def test_v2_parquet_with_w3c_names_and_an_epoch_time_is_hunted(tmp_path):
    """A v2 Parquet selection spelt as the W3C header spells fields, with ``timestamp``
    instead of date and time: the local view maps it to the Glue columns."""
    times = [str(START.timestamp() + 600 + i) for i in range(4)]
    paths = ["/.env", "/.git/config", "/backup.sql", "/.aws/credentials"]
    pl.DataFrame(
        {
            "timestamp": times,
            "c-ip": ["203.0.113.77"] * 4,
            "cs-method": ["GET"] * 4,
            "cs-uri-stem": paths,
            "cs-uri-query": ["-"] * 4,
            "sc-status": ["404"] * 4,
            "cs(User-Agent)": ["curl/8.5.0"] * 4,
        }
    ).write_parquet(tmp_path / "E2EXAMPLE.2026-11-20-14.b2.parquet")
    code, found, err = _hunt(tmp_path, "--scenario", "sensitive_files")
    assert code == 0, err
    assert [(f["value"], f["events"], f["first_seen"]) for f in found] == [
        ("203.0.113.77", 4, "2026-11-20T14:10:00+00:00")
    ]


def test_the_local_engine_never_draws_on_stdout():
    """A long query would make DuckDB draw a progress bar on stdout, between findings."""
    con = connect()
    assert con.execute("SELECT current_setting('enable_progress_bar')").fetchone() == (False,)
