"""Labelled detection evaluation: recall on attackers, false positives on benign clients.

The corpus of ``bench.traffic`` (200,000 requests over one hour, seed 20261130; the
unit tests use other seeds) is rendered as CloudFront standard (legacy) logs and as
ALB access logs, one gzip file per 5 minutes as the services deliver them, and put
through ``edgeguard replay --json`` in this process (the command's own code: file
reading, format detection, parsing, every scenario, the decision policy). A client is
caught when the replay decides against it; the per-scenario rows say whether the
scenario that should have caught it did.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.traffic import Corpus, Request, generate
from edgeguard_tools import log_samples as samples

LINES = 200_000
SEED = 20261130
START = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
FILE_SECONDS = 300


def _cloudfront(r: Request) -> str:
    when = START + timedelta(seconds=r.t)
    return samples.cloudfront_line(
        when, r.ip, r.path, r.status, r.query or "-", ua=r.ua, method=r.method
    )


def _alb(r: Request) -> str:
    when = START + timedelta(seconds=r.t)
    return samples.alb_line(when, r.ip, r.path, r.status, r.query, ua=r.ua, method=r.method)


FORMATS: dict[str, tuple[Callable[[Request], str], Callable[[list[str]], bytes], str]] = {
    "cloudfront": (_cloudfront, samples.cloudfront_object, "E2EXAMPLE.2026-11-20-14.{:04d}.gz"),
    "cloudfront-v2-parquet": (
        _cloudfront,
        samples.cloudfront_v2_parquet_object,
        "E2EXAMPLE.2026-11-20-14.{:04d}.parquet",
    ),
    "alb": (_alb, samples.alb_object, "123456789012_elasticloadbalancing_{:04d}.log.gz"),
}


def write_logs(corpus: Corpus, fmt: str, directory: Path) -> int:
    """The corpus as ``fmt`` log files in ``directory``, one per 5 minutes; returns lines."""
    render, pack, name = FORMATS[fmt]
    files: dict[int, list[str]] = defaultdict(list)
    for request in corpus.requests:
        files[int(request.t // FILE_SECONDS)].append(render(request))
    for index, lines in files.items():
        (directory / name.format(index)).write_bytes(pack(lines))
    return sum(len(lines) for lines in files.values())


def replay(directory: Path) -> list[dict[str, object]]:
    """``edgeguard replay --json DIRECTORY``, in process; its decisions as dicts."""
    from edgeguard_tools.cli import main  # noqa: PLC0415

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["replay", "--json", str(directory)])
    if code != 0:
        raise RuntimeError(f"edgeguard replay exited {code}: {err.getvalue()}")
    return [json.loads(line) for line in out.getvalue().splitlines()]


def score(corpus: Corpus, decisions: list[dict[str, object]]) -> dict[str, object]:
    """Recall and false positives of ``decisions`` against the corpus labels.

    Returns ``attackers``/``caught`` per attack kind, ``expected_hit`` (caught by the
    scenario the label names), ``benign``/``false_positives`` per benign kind with the
    scenarios that fired, and ``missed`` / ``wrongly_banned`` client lists.
    """
    by_client: dict[str, set[str]] = defaultdict(set)
    for decision in decisions:
        value = str(decision["value"])
        by_client[value.removesuffix("/32")].add(str(decision["scenario"]))
    attackers, caught, expected_hit = Counter(), Counter(), Counter()
    benign, false_positives = Counter(), Counter()
    missed, wrongly = [], []
    for client in corpus.clients:
        fired = by_client.get(client.ip, set())
        if client.attacker:
            key = f"{client.kind} ({client.expected})"
            attackers[key] += 1
            caught[key] += bool(fired)
            expected_hit[key] += client.expected in fired
            if not fired:
                missed.append(f"{client.ip} {client.kind}")
        else:
            benign[client.kind] += 1
            if fired:
                false_positives[client.kind] += 1
                wrongly.append(f"{client.ip} {client.kind}: {', '.join(sorted(fired))}")
    return {
        "attackers": attackers,
        "caught": caught,
        "expected_hit": expected_hit,
        "benign": benign,
        "false_positives": false_positives,
        "missed": missed,
        "wrongly_banned": wrongly,
    }


def evaluate(corpus: Corpus, fmt: str) -> tuple[dict[str, object], int, float]:
    """Render, replay and score one format: (score, lines, replay seconds)."""
    with tempfile.TemporaryDirectory(prefix=f"edgeguard-eval-{fmt}-") as tmp:
        lines = write_logs(corpus, fmt, Path(tmp))
        started = time.perf_counter()
        decisions = replay(Path(tmp))
        elapsed = time.perf_counter() - started
    return score(corpus, decisions), lines, elapsed


def rows_for(
    fmt: str, result: dict[str, object], lines: int, seconds: float
) -> list[tuple[str, str]]:
    """Printable figures of one format's evaluation."""
    attackers: Counter[str] = result["attackers"]  # type: ignore[assignment]
    caught: Counter[str] = result["caught"]  # type: ignore[assignment]
    expected_hit: Counter[str] = result["expected_hit"]  # type: ignore[assignment]
    benign: Counter[str] = result["benign"]  # type: ignore[assignment]
    false_positives: Counter[str] = result["false_positives"]  # type: ignore[assignment]
    total, hit = sum(attackers.values()), sum(caught.values())
    benign_total, wrong = sum(benign.values()), sum(false_positives.values())
    rows = [
        (f"{fmt}: replay", f"{lines:,} lines in {seconds:.2f} s"),
        (f"{fmt}: recall", f"{hit}/{total} attackers = {100 * hit / total:.1f} %"),
        (f"{fmt}: false positives", f"{wrong} of {benign_total:,} benign clients"),
    ]
    for kind in sorted(attackers):
        rows.append(
            (
                f"{fmt}:   attack {kind}",
                f"{caught[kind]}/{attackers[kind]} banned, "
                f"{expected_hit[kind]} by the expected scenario",
            )
        )
    for kind in sorted(benign):
        rows.append((f"{fmt}:   benign {kind}", f"{false_positives[kind]}/{benign[kind]} banned"))
    for text in result["missed"]:  # type: ignore[attr-defined]
        rows.append((f"{fmt}:   MISSED", text))
    for text in result["wrongly_banned"]:  # type: ignore[attr-defined]
        rows.append((f"{fmt}:   FALSE POSITIVE", text))
    return rows


def run(lines: int = LINES, seed: int = SEED) -> list[tuple[str, str]]:
    """Generate, then evaluate both formats; rows of figures for ``bench``."""
    started = time.perf_counter()
    corpus = generate(lines, seed)
    attackers = sum(c.attacker for c in corpus.clients)
    rows = [
        (
            "corpus",
            f"{len(corpus.requests):,} requests, 1 h, seed {seed}: "
            f"{len(corpus.clients) - attackers:,} benign clients, {attackers} attackers "
            f"(generated in {time.perf_counter() - started:.1f} s)",
        ),
        ("target", "recall >= 98 %, 0 false positives, both formats"),
    ]
    for fmt in FORMATS:
        result, count, seconds = evaluate(corpus, fmt)
        rows += rows_for(fmt, result, count, seconds)
    rows.append(("headroom", headroom(corpus)))
    return rows


def headroom(corpus: Corpus, factor: float = 0.5) -> str:
    """Benign clients banned (CloudFront rendering) when every scenario's capacity and
    drain are ``factor`` of the defaults: how far the defaults are from a false positive.
    """
    from edgeguard.decisions import MemoryStore  # noqa: PLC0415
    from edgeguard.logs.analyzer import Replay  # noqa: PLC0415
    from edgeguard.logs.settings import DetectionSettings  # noqa: PLC0415

    overrides = {
        s.name: {
            "capacity": s.capacity * factor,
            "leak_per_minute": s.leak_per_minute * factor,
            "track_min_per_file": max(1, int(s.track_min_per_file * factor)),
        }
        for s in DetectionSettings().scenarios
    }
    run = Replay(DetectionSettings().with_overrides(overrides))
    with tempfile.TemporaryDirectory(prefix="edgeguard-eval-headroom-") as tmp:
        write_logs(corpus, "cloudfront", Path(tmp))
        for path in sorted(Path(tmp).iterdir()):
            run.add_bytes(path.read_bytes(), str(path))
    benign = {c.ip: c.kind for c in corpus.clients if not c.attacker}
    fired = sorted(
        {
            f"{benign[o.verdict.client]} ({o.verdict.scenario})"
            for o in run.decide(MemoryStore())
            if o.verdict.client in benign
        }
    )
    return (
        f"at {factor:g}x every capacity and drain: {len(fired)} benign kind(s) banned"
        f"{': ' + ', '.join(fired) if fired else ''}"
    )


if __name__ == "__main__":
    for label, value in run():
        print(f"{label:<50} {value}")
    sys.exit(0)
