"""The labelled evaluation of ``make bench`` on a smaller corpus and another seed: every
attacker is banned by the scenario its label names, no benign client is banned, in
both log formats, through ``edgeguard replay``.
"""

from __future__ import annotations

import pytest

from bench.detection import SEED, evaluate
from bench.traffic import generate

TEST_SEED = 4242


@pytest.fixture(scope="module")
def corpus():
    assert TEST_SEED != SEED
    return generate(120_000, TEST_SEED)


@pytest.mark.parametrize("fmt", ["cloudfront", "alb"])
def test_every_attacker_and_no_benign_client_is_banned(corpus, fmt):
    result, lines, _ = evaluate(corpus, fmt)
    assert lines == len(corpus.requests) >= 120_000
    assert result["missed"] == []
    assert result["wrongly_banned"] == []
    attackers = result["attackers"]
    assert sum(attackers.values()) == 30
    assert result["expected_hit"] == attackers
    assert sum(result["benign"].values()) > 500
    # The look-alikes the scenarios must leave alone are all in the corpus.
    assert {
        "office_nat",
        "api_burst",
        "heavy_integration",
        "mobile_cgnat",
        "uptime_monitor_curl",
        "password_mistyper",
        "expired_token_integration",
        "crawler",
    } <= set(result["benign"])


def test_the_scorer_counts_a_miss_and_a_false_positive(corpus):
    """A decision list that bans one benign client and none of the attackers."""
    from bench.detection import score  # noqa: PLC0415

    benign = next(c for c in corpus.clients if c.kind == "office_nat")
    result = score(corpus, [{"value": f"{benign.ip}/32", "scenario": "request_flood"}])
    assert result["false_positives"]["office_nat"] == 1
    assert len(result["missed"]) == 30
    assert sum(result["caught"].values()) == 0
