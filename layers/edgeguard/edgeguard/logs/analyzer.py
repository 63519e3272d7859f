"""From log objects to decisions: the code the Lambda function and ``edgeguard replay`` share.

``analyze_object`` handles one object as it lands (Lambda): parse, observe, merge
with the contributions of other files (StateStore), evaluate, record new
decisions. ``Replay`` handles many local files in one process: it keeps every
file's observations and evaluates once at the end. Both call the same
``observe`` and ``evaluate``, with the same per-file tracking threshold, so they
decide the same clients.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import polars as pl

from edgeguard.clock import utcnow
from edgeguard.decisions import DecisionRequest, DecisionSink, RecordOutcome
from edgeguard.logs.bucket import Verdict, evaluate
from edgeguard.logs.cloudfront_v2 import DEFAULT_LISTS, FieldLists
from edgeguard.logs.frame import Parsed
from edgeguard.logs.reader import read_log
from edgeguard.logs.scenarios import OBSERVATION_SCHEMA, Witness, observe
from edgeguard.logs.settings import DetectionSettings
from edgeguard.logs.state import StateStore, key_of
from edgeguard.notify.redact import redact_request


@dataclass
class Outcome:
    """One verdict and what the sink did with it."""

    verdict: Verdict
    request: DecisionRequest
    result: RecordOutcome


@dataclass
class FileReport:
    """What one object contributed (for logs, metrics and the function's response)."""

    key: str
    format: str
    lines: int
    skipped: int
    tracked: int
    outcomes: list[Outcome] = field(default_factory=list)
    ignored: str = ""
    bypass: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The report as a JSON-ready dict; each decision as its value, scenario and the
        sink's status (e.g. "created", "extended").
        """
        return {
            "key": self.key,
            "format": self.format,
            "lines": self.lines,
            "skipped": self.skipped,
            "tracked": self.tracked,
            "ignored": self.ignored,
            "bypass": self.bypass,
            "decisions": [
                {
                    "value": o.verdict.client,
                    "scenario": o.verdict.scenario,
                    "status": o.result.status,
                }
                for o in self.outcomes
            ],
        }


def request_for(verdict: Verdict, settings: DetectionSettings, sample: str = "") -> DecisionRequest:
    """The DecisionRequest a verdict becomes (origin ``log``, the scenario as reason); the
    sample request is redacted (``edgeguard.notify.redact``) before it is stored."""
    scenario = settings.get(verdict.scenario)
    details: dict[str, Any] = {"source": verdict.source, "description": scenario.description}
    if sample:
        details["sample"] = redact_request(sample)  # stored and shown: never a credential
    return DecisionRequest(
        value=verdict.client,
        action=scenario.action,
        origin="log",
        reason=verdict.scenario,
        duration=scenario.duration,
        events=verdict.events,
        first_seen=verdict.first_seen,
        last_seen=verdict.last_seen,
        details=details,
    )


def _samples(samples: pl.DataFrame) -> dict[str, str]:
    return {
        key_of(source, client, scenario): sample
        for source, client, scenario, sample in samples.iter_rows()
    }


def analyze_object(
    body: bytes,
    key: str,
    *,
    settings: DetectionSettings,
    store: StateStore,
    sink: DecisionSink,
    file_id: str | None = None,
    now: datetime | None = None,
    skip_sources: frozenset[str] = frozenset(),
    fields: FieldLists = DEFAULT_LISTS,
    fmt: str = "auto",
) -> FileReport:
    """One log object -> new decisions, aggregated with every other file's contributions.

    Formats in ``skip_sources`` are parsed and counted but not judged: behind
    CloudFront, an ALB log's client is a CloudFront edge server, not the viewer.
    ``file_id`` (default ``key``) identifies the object in the state store, so a retry
    overwrites rather than adds. ``fields`` lists the fields of headerless CloudFront
    deliveries; ``fmt`` forces a format (see ``read_log``). A verdict whose key is
    already decided is not recorded again; a recorded one is marked decided until
    ``now`` plus its ban duration.

    Raises:
        CorruptObject, UnknownFormat, UnreadableLog: the object cannot be read (see
            ``read_log``).
        Errors of ``store`` and ``sink`` propagate.
    """
    now = now or utcnow()
    parsed = read_log(body, key, fmt, fields)
    report = FileReport(key, parsed.format, parsed.lines, parsed.skipped, 0, ignored=parsed.ignored)
    report.bypass = dict(parsed.bypass)
    if parsed.format in skip_sources:
        return report
    observations, samples = observe(parsed.frame, settings, source=parsed.format)
    if observations.is_empty():
        return report
    report.tracked = observations.select("client", "scenario").unique().height
    merged = store.merge(file_id or key, observations, now)
    examples = _samples(samples)
    for verdict in evaluate(merged, settings):
        state_key = key_of(verdict.source, verdict.client, verdict.scenario)
        if store.decided(state_key, now):
            continue
        request = request_for(verdict, settings, examples.get(state_key, ""))
        result = sink.record(request, now)
        report.outcomes.append(Outcome(verdict, request, result))
        store.mark_decided(state_key, now + request.duration)
    return report


@dataclass
class Replay:
    """Many files in one process: observe each, evaluate all at the end (no AWS).

    ``witness`` (optional) sees every tracked client's event rows as they are observed
    (see ``scenarios.observe``).
    """

    settings: DetectionSettings = field(default_factory=DetectionSettings)
    witness: Witness | None = None
    lines: int = 0
    skipped: int = 0
    files: int = 0
    bypass: dict[str, int] = field(default_factory=dict)
    _observations: list[pl.DataFrame] = field(default_factory=list)
    _samples: list[pl.DataFrame] = field(default_factory=list)

    def add(self, parsed: Parsed) -> None:
        """Observe one parsed file and add its line counts; evaluation waits for ``decide``."""
        observations, samples = observe(
            parsed.frame, self.settings, source=parsed.format, witness=self.witness
        )
        self.files += 1
        self.lines += parsed.lines
        self.skipped += parsed.skipped
        for viewer, count in parsed.bypass.items():
            self.bypass[viewer] = self.bypass.get(viewer, 0) + count
        if not observations.is_empty():
            self._observations.append(observations)
            self._samples.append(samples)

    def add_bytes(self, body: bytes, key: str = "", fmt: str = "auto") -> None:
        """Parse one file's bytes (gzip or plain) and ``add`` it.

        Raises CorruptObject, UnknownFormat or UnreadableLog like ``read_log``.
        """
        self.add(read_log(body, key, fmt))

    def observations(self) -> pl.DataFrame:
        """Every file's per-second event counts of tracked clients (``OBSERVATION_SCHEMA``)."""
        if not self._observations:
            return pl.DataFrame(schema=OBSERVATION_SCHEMA)
        return pl.concat(self._observations)

    def decide(self, sink: DecisionSink) -> list[Outcome]:
        """Evaluate every bucket; record each verdict at its overflow time (log time).

        Verdicts are recorded in log-time order (overflow time, then client and scenario),
        as the deployed analyzer meets them, so a repeat offender escalates the same way.
        Returns one Outcome per verdict; errors of ``sink`` propagate.
        """
        if not self._observations:
            return []
        examples: dict[str, str] = {}
        for frame in reversed(self._samples):
            examples.update(_samples(frame))
        outcomes = []
        # In log-time order, as the deployed analyzer meets them: a repeat offender's
        # second verdict escalates in the store exactly as it does when deployed.
        verdicts = sorted(
            evaluate(pl.concat(self._observations), self.settings),
            key=lambda v: (v.overflow_at, v.client, v.scenario),
        )
        for verdict in verdicts:
            state_key = key_of(verdict.source, verdict.client, verdict.scenario)
            request = request_for(verdict, self.settings, examples.get(state_key, ""))
            outcomes.append(Outcome(verdict, request, sink.record(request, verdict.overflow_at)))
        return outcomes
