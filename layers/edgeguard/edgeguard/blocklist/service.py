"""The feed importer: each run makes the blocklist decisions follow the configured feeds.

One run (the schedule, hourly by default) refreshes every enabled feed with a
conditional GET and then writes only what changed:

- **Unchanged** (304, or a 200 whose SHA-256 equals the last accepted body): no
  decision is read or written, so no WAF write follows; only the feed's state item is
  updated. Every entry stays active because its decision's lease (``expires_at``) runs
  ``2 x grace`` from its last renewal, and the run renews a feed's entries in one bulk
  step only when the lease's remainder would fall below the grace before the next run
  (once per ``grace - refresh``: about once a day by default).
- **Changed**: the new list is compared with the stored one (all feeds' lists together,
  so a value two feeds list stays while either does): new entries are recorded (origin
  ``blocklist``, reason = the feed's name, action = the feed's action), entries that
  left end ``grace`` after the run that saw them go (an entry that returns in time is
  extended: never flapping).
- **Rejected** (download failure, timeout, HTTP error, an HTML page with 200, a
  truncated body, a list that shrank by more than ``max_shrink``): nothing is written;
  the previous decisions stay; the first failure of a run of failures is announced
  once (``edgeguard.notify.digest``'s gate). Once the last success is ``grace`` old,
  the feed's entries are ended (announced). A shrunk body that keeps being served for
  the grace is accepted as the feed's content.
- **Disabled** (or removed from the configuration): its entries end at once.

An entry an operator unblocked has an exception (``edgeguard.decisions``): recording
it is refused until the exception is removed. docs/blocklists.md has the design and
figures.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from edgeguard.blocklist.feeds import Feed, parse_feeds
from edgeguard.blocklist.fetch import (
    DEFAULT_MAX_BYTES,
    DEFAULT_TIMEOUT_SECONDS,
    Fetcher,
    FetchError,
    Validators,
)
from edgeguard.blocklist.formats import FeedFormatError
from edgeguard.blocklist.safety import evaluate, shrink_refusal
from edgeguard.blocklist.state import FeedState, StateStore
from edgeguard.clock import utcnow
from edgeguard.config import ConfigError, duration, integer, number, optional, require
from edgeguard.decisions import BanPolicy, DecisionRequest, RecordOutcome
from edgeguard.decisions.rules import floor_seconds
from edgeguard.notify.alert import Alert
from edgeguard.notify.digest import AlertGate, announce

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient

logger = logging.getLogger(__name__)

ORIGIN = "blocklist"
ACTOR = "blocklist-import"
REFUSED_EXAMPLES = 20


@dataclass(frozen=True)
class ImportSettings:
    """Read once at cold start (see ``from_env``); durations are timedeltas."""

    feeds: tuple[Feed, ...]
    state_table: str
    alerts_topic_arn: str = ""
    grace: timedelta = timedelta(hours=24)
    refresh: timedelta = timedelta(minutes=60)
    max_shrink: float = 0.5
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    max_bytes: int = DEFAULT_MAX_BYTES

    @property
    def lease(self) -> timedelta:
        """How long a recording or renewal keeps an entry active: twice the grace."""
        return 2 * self.grace

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ImportSettings:
        """BLOCKLIST_STATE_TABLE (required), BLOCKLIST_FEEDS (``default`` or JSON, see
        ``feeds.parse_feeds``), ALERTS_TOPIC_ARN, GRACE_HOURS (1-720, default 24),
        REFRESH_MINUTES (5-1440, default 60: the schedule's rate), MAX_SHRINK_PERCENT
        (1-100, default 50), FETCH_TIMEOUT_SECONDS (1-300, default 20), MAX_FEED_BYTES
        (1 KiB - 256 MiB, default 32 MiB).

        Raises:
            ConfigError: a variable is missing or invalid; the message names it.
        """
        grace = duration(
            "GRACE_HOURS",
            timedelta(hours=24),
            environ,
            minimum=timedelta(hours=1),
            maximum=timedelta(hours=720),
        )
        refresh = duration(
            "REFRESH_MINUTES",
            timedelta(minutes=60),
            environ,
            minimum=timedelta(minutes=5),
            maximum=timedelta(minutes=1440),
        )
        if refresh >= grace:
            raise ConfigError("GRACE_HOURS must be longer than REFRESH_MINUTES")
        return cls(
            feeds=parse_feeds(optional("BLOCKLIST_FEEDS", "default", environ)),
            state_table=require("BLOCKLIST_STATE_TABLE", environ),
            alerts_topic_arn=optional("ALERTS_TOPIC_ARN", "", environ),
            grace=grace,
            refresh=refresh,
            max_shrink=number("MAX_SHRINK_PERCENT", 50, environ, minimum=1, maximum=100) / 100,
            timeout_seconds=number("FETCH_TIMEOUT_SECONDS", 20, environ, minimum=1, maximum=300),
            max_bytes=integer(
                "MAX_FEED_BYTES", DEFAULT_MAX_BYTES, environ, minimum=1024, maximum=256 * 2**20
            ),
        )


class BlocklistSink(Protocol):
    """What the importer needs of a decision store (``DynamoDecisionStore``, ``MemoryStore``)."""

    policy: BanPolicy

    def record_many(
        self, requests: Iterable[DecisionRequest], now: datetime | None = None
    ) -> list[RecordOutcome]:
        """Record each request (see ``DynamoDecisionStore.record_many``)."""
        ...

    def end(self, value: str, action: str, at: datetime, origin: str, who: str = "") -> bool:
        """End a decision of ``origin`` at ``at`` (see ``DynamoDecisionStore.end``)."""
        ...


@dataclass
class FeedReport:
    """One feed in one run. ``status``: changed, unchanged, rejected, lifted, disabled."""

    name: str
    status: str = ""
    listed: int = 0
    accepted: int = 0
    refused: int = 0
    refused_examples: list[str] = field(default_factory=list)
    unreadable: int = 0
    added: int = 0
    renewed: int = 0
    ended: int = 0
    excepted: int = 0
    error: str = ""
    note: str = ""


@dataclass
class ImportReport:
    """One run: per feed, and the writes it cost (``decision_writes``: decision items
    written; ``state_writes``: state and entry-list items written or deleted)."""

    now: datetime
    feeds: list[FeedReport] = field(default_factory=list)
    decision_writes: int = 0
    state_writes: int = 0
    alerts: list[str] = field(default_factory=list)

    @property
    def rejected(self) -> list[FeedReport]:
        """The feeds whose download or content was rejected this run."""
        return [f for f in self.feeds if f.status == "rejected"]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary (the function's return value and log line)."""
        return {
            "now": self.now.isoformat(),
            "decision_writes": self.decision_writes,
            "state_writes": self.state_writes,
            "alerts": self.alerts,
            "feeds": [asdict(f) for f in self.feeds],
        }


@dataclass
class _Work:
    """One feed's run: its state before and after, what happened, its new list."""

    old: FeedState
    new: FeedState
    report: FeedReport
    feed: Feed | None  # None: a feed no longer configured
    kind: str  # changed | unchanged | rejected | disabled | removed
    accepted: list[str] | None = None
    renew: bool = False
    end_now: bool = False


class _Shrunk(FeedFormatError):
    """A list that shrank too much to be believed (the feed itself answered)."""


@dataclass
class _Lists:
    """Every feed's entries before (``previous``) and after (``current``) the run, the
    wanted (value, action) pairs with the feeds listing them, the pairs that were
    listed (``was``) and the feeds whose leases are renewed this run."""

    previous: dict[str, set[str]]
    current: dict[str, set[str]]
    wanted: dict[tuple[str, str], list[str]]
    was: set[tuple[str, str]]
    renewing: set[str]


def _iso(moment: datetime) -> str:
    return floor_seconds(moment).isoformat()


def build(environ: Mapping[str, str] | None = None) -> Importer:
    """The deployed importer: settings from the environment (``ImportSettings.from_env``),
    the decisions table (``DynamoDecisionStore.from_env``), the state table, the alerts
    topic and the alert gate on the state table. Raises ConfigError naming a variable."""
    import boto3  # noqa: PLC0415 - clients at cold start, never at import

    from edgeguard.decisions import DynamoDecisionStore  # noqa: PLC0415

    settings = ImportSettings.from_env(environ)
    dynamodb = boto3.client("dynamodb")
    return Importer(
        settings,
        DynamoDecisionStore.from_env(environ, client=dynamodb),
        StateStore(dynamodb, settings.state_table),
        sns=boto3.client("sns"),
        gate=AlertGate(dynamodb, settings.state_table),
    )


class Importer:
    """Runs the feeds against a decision sink; see the module docstring."""

    def __init__(
        self,
        settings: ImportSettings,
        sink: BlocklistSink,
        state: StateStore,
        *,
        fetcher: Fetcher | None = None,
        sns: SNSClient | None = None,
        gate: AlertGate | None = None,
    ) -> None:
        self.settings = settings
        self.sink = sink
        self.state = state
        self.fetcher = fetcher or Fetcher(settings.timeout_seconds, settings.max_bytes)
        self.sns = sns
        self.gate = gate

    # ------------------------------------------------------------------ run
    def run(self, now: datetime | None = None) -> ImportReport:
        """Refresh every feed and write what changed; the run's report.

        Feed failures never raise (they are the report's ``rejected``, announced once).

        Raises:
            botocore.exceptions.ClientError: DynamoDB refused a read or write (the state
                is saved only after the decisions, so the next run redoes the work).
        """
        now = floor_seconds(now or utcnow())
        report = ImportReport(now)
        writes_before = self.state.writes
        states = self.state.load_states()
        configured = {feed.name: feed for feed in self.settings.feeds}
        work: list[_Work] = []
        for feed in self.settings.feeds:
            old = states.get(feed.name) or FeedState(
                feed.name, action=feed.action, url=feed.url, format=feed.format
            )
            if feed.enabled:
                work.append(self._refresh(feed, old, now))
            else:
                work.append(self._retire(old, feed, "disabled"))
        for name, old in sorted(states.items()):
            if name not in configured:
                work.append(self._retire(old, None, "removed"))
        if any(w.kind in {"changed", "disabled", "removed"} or w.renew or w.end_now for w in work):
            report.decision_writes = self._apply(work, now)
        # Announced before the states are saved: if SNS fails, the run fails and the next
        # one (its states unsaved) announces again; the gate keeps it to once.
        report.alerts = self._announce(work, now)
        for item in work:
            self._persist(item)
            report.feeds.append(item.report)
        report.state_writes = self.state.writes - writes_before
        return report

    # ------------------------------------------------------------- one feed
    def _refresh(self, feed: Feed, old: FeedState, now: datetime) -> _Work:
        new = replace(
            old, url=feed.url, format=feed.format, action=feed.action, last_attempt_at=_iso(now)
        )
        work = _Work(old, new, FeedReport(feed.name), feed, "rejected")
        same_setup = old.has_list and (old.url, old.format, old.action) == (
            feed.url,
            feed.format,
            feed.action,
        )
        try:
            validators = Validators(old.etag, old.last_modified) if same_setup else None
            download = self.fetcher.fetch(feed.url, validators)
            if download.not_modified and same_setup:
                self._succeeded(work, "unchanged", download.validators, now)
                work.report.note = "304 Not Modified"
                return work
            digest = hashlib.sha256(download.body).hexdigest()
            if same_setup and digest == old.body_sha256:
                self._succeeded(work, "unchanged", download.validators, now)
                work.report.note = "same body (SHA-256)"
                return work
            verdict = evaluate(download.body, feed, self.sink.policy)
            self._judged(work, verdict.listed, verdict.refused, verdict.unreadable)
            refusal = shrink_refusal(
                old.entries if same_setup else 0, len(verdict.accepted), self.settings.max_shrink
            )
            if refusal and not self._shrink_settled(work, digest, now):
                raise _Shrunk(refusal)
            work.accepted = verdict.accepted
            new.body_sha256 = digest
            new.entries, new.listed = len(verdict.accepted), verdict.listed
            new.refused = len(verdict.refused)
            new.pending_sha256 = new.pending_since = ""
            new.last_change_at = _iso(now)
            self._succeeded(work, "changed", download.validators, now)
        except (FetchError, FeedFormatError) as error:
            self._failed(work, str(error), now, reachable=isinstance(error, _Shrunk))
        return work

    def _judged(self, work: _Work, listed: int, refused: list[tuple[str, str]], bad: int) -> None:
        report = work.report
        report.listed, report.refused, report.unreadable = listed, len(refused), bad
        report.refused_examples = [f"{e}: {why}" for e, why in refused[:REFUSED_EXAMPLES]]

    def _shrink_settled(self, work: _Work, digest: str, now: datetime) -> bool:
        """A shrunk body is believed once the same body has been served for the grace."""
        new = work.new
        if new.pending_sha256 != digest:
            new.pending_sha256, new.pending_since = digest, _iso(now)
            return False
        since = new.moment("pending_since")
        if since is not None and now - since >= self.settings.grace:
            work.report.note = f"shrunk list served since {new.pending_since}: accepted"
            return True
        return False

    def _succeeded(self, work: _Work, kind: str, found: Validators, now: datetime) -> None:
        new = work.new
        work.kind = work.report.status = kind
        new.status, new.error, new.failures = kind, "", 0
        new.last_success_at = _iso(now)
        new.etag = found.etag or (new.etag if kind == "unchanged" else "")
        new.last_modified = found.last_modified or (
            new.last_modified if kind == "unchanged" else ""
        )
        work.report.accepted = new.entries
        if kind == "unchanged":
            work.report.listed, work.report.refused = new.listed, new.refused
        renewed = new.moment("renewed_at") if work.old.has_list else None
        work.renew = renewed is None or now >= renewed + self.settings.grace - self.settings.refresh
        if work.renew:
            new.renewed_at = _iso(now)

    def _failed(self, work: _Work, reason: str, now: datetime, *, reachable: bool) -> None:
        """A rejected download. An unreachable feed's entries end once its last success is
        the grace old; a shrunk list (``reachable``) does not start that clock: its
        entries stay until the shrunk body is believed (or their lease runs out)."""
        new = work.new
        work.kind = work.report.status = "rejected"
        work.report.error = new.error = reason[:500]
        new.failures = work.old.failures + 1
        new.status = "rejected" if work.old.status != "lifted" else "lifted"
        last = work.old.moment("last_success_at")
        stale = last is None or now - last >= self.settings.grace
        if work.old.has_list and stale and not reachable:
            work.end_now = True
            work.report.status = "lifted"
            work.report.note = (
                f"no successful download since {work.old.last_success_at or 'ever'} "
                f"(grace {self.settings.grace}): its entries end now"
            )
        logger.warning("blocklist feed rejected", extra={"feed": new.name, "reason": reason})

    @staticmethod
    def _retire(old: FeedState, feed: Feed | None, kind: str) -> _Work:
        new = replace(old, status="lifted" if old.has_list else old.status)
        report = FeedReport(old.name, status=kind)
        if feed is None:
            report.note = "no longer configured"
        return _Work(old, new, report, feed, kind)

    # -------------------------------------------------------- decisions
    def _apply(self, work: list[_Work], now: datetime) -> int:
        """Record, renew and end decisions so they follow every feed's list; the number
        of decision items written."""
        previous = {w.old.name: set(self.state.load_entries(w.old)) for w in work}
        current: dict[str, set[str]] = {}
        for w in work:
            if w.kind == "changed":
                current[w.old.name] = set(w.accepted or ())
            elif w.kind in {"unchanged", "rejected"} and not w.end_now:
                current[w.old.name] = previous[w.old.name]
            else:
                current[w.old.name] = set()
        was = {(v, w.old.action) for w in work if w.old.has_list for v in previous[w.old.name]}
        wanted: dict[tuple[str, str], list[str]] = defaultdict(list)
        renewing: set[str] = set()
        for w in work:
            if w.feed is not None:
                for value in current[w.old.name]:
                    wanted[(value, w.feed.action)].append(w.old.name)
                if w.renew:
                    renewing.add(w.old.name)
        lists = _Lists(previous, current, wanted, was, renewing)
        return self._record(work, lists, now) + self._end(work, lists, now)

    def _record(self, work: list[_Work], lists: _Lists, now: datetime) -> int:
        """Record the new entries and renew the renewing feeds' ones; the writes."""
        wanted, was, renewing = lists.wanted, lists.was, lists.renewing
        by_report = {w.old.name: w.report for w in work}
        keys = sorted(
            pair for pair, names in wanted.items() if pair not in was or renewing & set(names)
        )
        requests = [
            DecisionRequest(
                value=value,
                action=action,
                origin=ORIGIN,
                reason=sorted(wanted[(value, action)])[0],
                duration=self.settings.lease,
                details={"feeds": sorted(wanted[(value, action)])},
                actor=ACTOR,
            )
            for value, action in keys
        ]
        writes = 0
        for (value, action), outcome in zip(
            keys, self.sink.record_many(requests, now), strict=True
        ):
            for name in wanted[(value, action)]:
                report = by_report[name]
                if outcome.status == "refused":
                    report.excepted += 1
                elif (value, action) in was:
                    report.renewed += 1
                else:
                    report.added += 1
            writes += outcome.status != "refused"
        return writes

    def _end(self, work: list[_Work], lists: _Lists, now: datetime) -> int:
        """End the entries no feed lists any more: those a still-fresh feed dropped after
        the grace, the others (stale, disabled feeds) now; the writes."""
        previous, current, was = lists.previous, lists.current, lists.was
        by_report = {w.old.name: w.report for w in work}
        writes = 0
        softly = {
            (v, w.old.action)
            for w in work
            if w.kind == "changed"
            for v in previous[w.old.name] - current[w.old.name]
        }
        owners: dict[tuple[str, str], list[str]] = defaultdict(list)
        for w in work:
            if w.old.has_list:
                for value in previous[w.old.name]:
                    owners[(value, w.old.action)].append(w.old.name)
        for pair in sorted(was - lists.wanted.keys()):
            at = now + self.settings.grace if pair in softly else now
            # False: it ends by ``at`` already (its lease) or another origin owns it now
            writes += self.sink.end(pair[0], pair[1], at, ORIGIN, ACTOR)
            for name in owners[pair]:
                by_report[name].ended += 1
        return writes

    def _persist(self, work: _Work) -> None:
        new = work.new
        if work.kind == "changed":
            new.generation = work.old.generation + 1
            new.chunks = self.state.save_entries(new.name, new.generation, work.accepted or ())
        elif work.end_now or work.kind in {"disabled", "removed"}:
            new.status, new.chunks = "lifted", 0
            new.etag = new.last_modified = new.body_sha256 = ""
            if work.kind != "rejected":
                new.error = ""
        if work.kind in {"disabled", "removed"} and not work.old.has_list and work.old == new:
            return  # nothing to remember: no write for a feed that stays off
        self.state.save_state(new)
        if work.kind == "changed" or new.chunks == 0:
            self.state.delete_entries(new.name, new.generation if new.chunks else -1)

    # ----------------------------------------------------------- alerts
    def _announce(self, work: list[_Work], now: datetime) -> list[str]:
        told: list[str] = []
        for w in work:
            alert = None
            if w.end_now:
                alert = Alert(
                    kind="blocklist-feed-lifted",
                    title=f"blocklist feed {w.old.name}: entries lifted (unreachable too long)",
                    severity="high",
                    fields={
                        "feed": w.old.name,
                        "url": w.new.url,
                        "last_success": w.old.last_success_at or "never",
                        "ended": w.report.ended,
                        "why": w.report.error,
                    },
                )
            elif w.kind == "rejected" and w.new.failures == 1:
                until = w.old.moment("last_success_at")
                alert = Alert(
                    kind="blocklist-feed-rejected",
                    title=f"blocklist feed {w.old.name} rejected: previous entries kept",
                    severity="medium",
                    fields={
                        "feed": w.old.name,
                        "url": w.new.url,
                        "why": w.report.error,
                        "entries_kept": w.old.entries if w.old.has_list else 0,
                        "kept_until": _iso(until + self.settings.grace) if until else "-",
                    },
                )
            if alert is None:
                continue
            if self.sns is not None and self.settings.alerts_topic_arn:
                sent = announce(
                    self.sns,
                    self.settings.alerts_topic_arn,
                    alert,
                    gate=self.gate,
                    key=w.old.name,
                    window=self.settings.grace,
                    now=now,
                )
                if sent is None:
                    continue
            told.append(alert.kind + ":" + w.old.name)
        return told
