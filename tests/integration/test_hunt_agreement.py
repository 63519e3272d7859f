"""``edgeguard hunt --local`` and ``edgeguard replay`` ban the same attackers.

The labelled corpus of the detection evaluation (``bench.traffic``, one hour, another
seed than ``make bench``), plus one slow prober, rendered as CloudFront standard logs
(legacy, gzip) and as standard logging v2 Parquet, one file per 5 minutes. Replay runs
the analyzer's code file by file; the hunt runs the generated Athena SQL, transpiled,
on DuckDB over the same files.

Where they differ by design, this test says so:

- the slow prober (one sensitive file every 7-9 minutes) stays under the bucket's drain:
  replay never bans it, the hunt reports it as a ``slow`` finding;
- ``path_probing`` counts distinct path shapes per file in replay (observations are per
  file) and over the whole window in the hunt: a prober whose requests straddle a file
  boundary counts a repeated shape twice in replay. Such a client may be banned for
  ``path_probing`` by replay only; it is always banned by another scenario as well.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bench.detection import START, replay, score, write_logs
from bench.hunt import hunt_local
from bench.traffic import generate

SEED = 5151


@pytest.fixture(scope="module")
def corpus():
    return generate(120_000, SEED, slow_probers=1)


@pytest.fixture(scope="module", params=["cloudfront", "cloudfront-v2-parquet"])
def outcomes(request, corpus, tmp_path_factory):
    directory = tmp_path_factory.mktemp(request.param)
    lines = write_logs(corpus, request.param, directory)
    assert lines == len(corpus.requests)
    replayed = replay(directory)
    hunted = hunt_local(directory, START - timedelta(hours=1), START + timedelta(hours=2))
    return replayed, hunted


def _pairs(decisions, kind=None):
    return {
        (str(d["value"]).removesuffix("/32"), d["scenario"])
        for d in decisions
        if kind is None or d.get("kind") == kind
    }


def test_hunt_and_replay_ban_the_same_attackers(corpus, outcomes):
    replayed, hunted = outcomes
    burst = [h for h in hunted if h["kind"] == "burst"]
    by_replay = {client for client, _ in _pairs(replayed)}
    by_hunt = {client for client, _ in _pairs(burst)}
    assert by_replay == by_hunt
    attackers = {c.ip for c in corpus.clients if c.attacker}
    assert len(attackers) == 31
    slow = next(c.ip for c in corpus.clients if c.kind == "slow_prober")
    # Every attacker but the slow prober, and no benign client, by both.
    assert by_hunt == attackers - {slow}
    result = score(corpus, burst)
    assert result["wrongly_banned"] == []
    assert result["missed"] == [f"{slow} slow_prober"]
    assert sum(result["benign"].values()) > 500  # ordinary browsers beside the look-alikes


def test_every_scenario_verdict_agrees_but_per_file_path_shapes(outcomes):
    replayed, hunted = outcomes
    in_replay, in_hunt = _pairs(replayed), _pairs(hunted, "burst")
    assert in_hunt <= in_replay
    only_replay = in_replay - in_hunt
    assert {scenario for _, scenario in only_replay} <= {"path_probing"}
    banned_otherwise = {client for client, scenario in in_hunt}
    assert all(client in banned_otherwise for client, _ in only_replay)


def test_the_slow_prober_is_a_slow_finding_of_the_hunt_only(corpus, outcomes):
    replayed, hunted = outcomes
    slow = next(c.ip for c in corpus.clients if c.kind == "slow_prober")
    assert not any(str(d["value"]).startswith(f"{slow}/") for d in replayed)
    found = [h for h in hunted if h["value"] == slow]
    assert [(h["kind"], h["scenario"]) for h in found] == [("slow", "sensitive_files")]
    assert found[0]["events"] >= 7
    # Only the slow prober is slow: every other payload attacker overflowed its bucket.
    assert [h["value"] for h in hunted if h["kind"] == "slow"] == [slow]


def test_burst_findings_carry_the_analyzers_counts(outcomes):
    """Same events, first/last seen and decision time as replay, per (client, scenario)
    both decide (flood repeats can differ by a few when one second spans two files)."""
    replayed, hunted = outcomes
    by_key = {(str(d["value"]).removesuffix("/32"), d["scenario"]): d for d in replayed}
    compared = 0
    for finding in hunted:
        key = (finding["value"], finding["scenario"])
        if finding["kind"] != "burst" or key not in by_key or key[1] == "path_probing":
            continue
        mine = by_key[key]
        assert finding["first_seen"] == mine["first_seen"]
        assert finding["last_seen"] == mine["last_seen"]
        if key[1] != "request_flood":
            assert finding["events"] == mine["events"], key
            assert finding["decided_at"] == mine["decided_at"], key
        compared += 1
    assert compared >= 25
