"""The single writer: make WAF equal to the active decisions, and say when it cannot.

Each run reads the active decisions (expires_at > now, whatever TTL has deleted),
plans every group (ban and captcha x IPv4 and IPv6, and the blocked tenants), and
writes only the sets whose contents differ. The decisions table is the truth: an
address someone added to a managed set by hand is removed on the next run (use the
allowlist or ``edgeguard block`` instead). ``count`` decisions are never enforced.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from edgeguard.clock import utcnow
from edgeguard.config import ConfigError, integer, optional, require
from edgeguard.decisions import (
    Decision,
    DecisionStore,
    InvalidValue,
    Unreadable,
    never_bannable,
    normalize_tenant,
)
from edgeguard.errors import EdgeguardError
from edgeguard.notify.alert import Alert, publish
from edgeguard.notify.console import Console
from edgeguard.waf import capacity, shard, tenants
from edgeguard.waf.aggregate import Holes, Network, aggregate, parse
from edgeguard.waf.sets import (
    EnforcementError,
    Retry,
    SetRef,
    Snapshot,
    read_ip_set,
    read_regex_set,
    with_retries,
    write_ip_set,
    write_regex_set,
)

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_wafv2 import WAFV2Client

logger = logging.getLogger(__name__)

WAF_SET_LIMIT = 10_000
MAX_SHARDS = 10
ENFORCED_IP_ACTIONS = ("ban", "captcha")
OVERFLOW_ALERT_EVERY = timedelta(hours=1)
INVALID_ALERT_ITEMS = 50
OVERFLOW_ALERT_ITEMS = 50


@dataclass(frozen=True)
class EnforcerSettings:
    """Which sets the enforcer owns (ARNs from the template) and how tenants look."""

    ban_v4: tuple[SetRef, ...]
    ban_v6: tuple[SetRef, ...]
    captcha_v4: SetRef | None = None
    captcha_v6: SetRef | None = None
    allow_v4: SetRef | None = None
    allow_v6: SetRef | None = None
    tenant_set: SetRef | None = None
    tenant_template: str = "/account/{tenant}/"
    alerts_topic_arn: str = ""
    set_capacity: int = WAF_SET_LIMIT

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> EnforcerSettings:
        """BAN_IPV4_SET_1 / BAN_IPV6_SET_1 (shard 1's ARN, required) and BAN_IPV4_SHARD_IDS /
        BAN_IPV6_SHARD_IDS (the WAF ids of shards 2..10, comma-separated, in order; a shard
        N is named like shard 1 with ``-1`` replaced by ``-N``), CAPTCHA_IPV4_SET,
        CAPTCHA_IPV6_SET, ALLOW_IPV4_SET, ALLOW_IPV6_SET, TENANT_PATTERN_SET,
        TENANT_PATH_TEMPLATE, ALERTS_TOPIC_ARN: ARNs except the template; WAF_SCOPE
        (CLOUDFRONT or REGIONAL) overrides the scope the ARNs imply. IP_SET_CAPACITY
        (1-10,000, default 10,000) is the entries per set ("AWS WAF Developer Guide: AWS
        WAF quotas").

        Raises:
            ConfigError: a required ARN is missing, an ARN or the template is malformed,
                WAF_SCOPE is neither value, or IP_SET_CAPACITY is out of range.
        """
        scope = optional("WAF_SCOPE", "", environ)
        if scope not in {"", "CLOUDFRONT", "REGIONAL"}:
            raise ConfigError("WAF_SCOPE must be CLOUDFRONT or REGIONAL")

        def ref(name: str, required: bool = False) -> SetRef | None:
            raw = require(name, environ) if required else optional(name, "", environ)
            if not raw:
                return None
            try:
                return SetRef.from_arn(raw, scope)
            except ValueError as error:
                raise ConfigError(f"environment variable {name}: {error}") from None

        def shards(version: int) -> tuple[SetRef, ...]:
            first = ref(f"BAN_IPV{version}_SET_1", required=True)
            assert first is not None
            name = f"BAN_IPV{version}_SHARD_IDS"
            ids = [i.strip() for i in optional(name, "", environ).split(",") if i.strip()]
            if len(ids) + 1 > MAX_SHARDS:
                raise ConfigError(f"{name}: at most {MAX_SHARDS - 1} ids (shards 2..{MAX_SHARDS})")
            try:
                return (first, *(first.sibling(n, set_id) for n, set_id in enumerate(ids, 2)))
            except ValueError as error:
                raise ConfigError(f"environment variable {name}: {error}") from None

        template = optional("TENANT_PATH_TEMPLATE", "/account/{tenant}/", environ)
        try:
            tenants.affixes(template)
        except ValueError as error:
            raise ConfigError(f"invalid enforcer setting: {error}") from None
        set_capacity = integer(
            "IP_SET_CAPACITY", WAF_SET_LIMIT, environ, minimum=1, maximum=WAF_SET_LIMIT
        )
        return cls(
            ban_v4=shards(4),
            ban_v6=shards(6),
            captcha_v4=ref("CAPTCHA_IPV4_SET"),
            captcha_v6=ref("CAPTCHA_IPV6_SET"),
            allow_v4=ref("ALLOW_IPV4_SET"),
            allow_v6=ref("ALLOW_IPV6_SET"),
            tenant_set=ref("TENANT_PATTERN_SET"),
            tenant_template=template,
            alerts_topic_arn=optional("ALERTS_TOPIC_ARN", "", environ),
            set_capacity=set_capacity,
        )

    def ip_groups(self) -> list[tuple[str, int, tuple[SetRef, ...]]]:
        """The IP groups to reconcile, as (action, IP version, sets) tuples.

        Always ("ban", 4, ban_v4) and ("ban", 6, ban_v6); a ("captcha", v, (set,)) group only
        for each captcha set that is configured.
        """
        groups = [("ban", 4, self.ban_v4), ("ban", 6, self.ban_v6)]
        for version, captcha in ((4, self.captcha_v4), (6, self.captcha_v6)):
            if captcha:
                groups.append(("captcha", version, (captcha,)))
        return groups


def _key(decision: Decision) -> str:
    """How an alert names a decision item: ``value|action`` (value cut at 64 characters)."""
    return f"{decision.value[:64]}|{decision.action}"


class GroupsFailed(EnforcementError):
    """One or more groups could not be written; every group was tried.

    ``report`` is the whole run (the failed groups have ``error`` set).
    """

    def __init__(self, report: Report) -> None:
        failed = "; ".join(f"{g.group}: {g.error}" for g in report.failed)
        super().__init__(f"{len(report.failed)} of {len(report.groups)} groups failed: {failed}")
        self.report = report


@dataclass
class GroupReport:
    """What one group (e.g. ban/IPv4) looked like after the run."""

    group: str
    decisions: int
    entries: int
    updates: int = 0
    retries: int = 0
    added: int = 0
    removed: int = 0
    dropped: list[Decision] = field(default_factory=list)
    last_kept: Decision | None = None  # the lowest-ranked decision kept when some were dropped
    error: str = ""  # why this group's sets could not be written this run ("" = written)


@dataclass
class Report:
    """One enforcer run, for logs, metrics and the CLI.

    ``invalid`` lists the decisions that could not be read or enforced as they are (an
    unreadable item, an unparseable CIDR, a malformed tenant id), each with its key.
    """

    now: datetime
    groups: list[GroupReport] = field(default_factory=list)
    invalid: list[Unreadable] = field(default_factory=list)
    read_units: float = 0.0  # DynamoDB read units the run's read of decisions consumed

    @property
    def failed(self) -> list[GroupReport]:
        """The groups whose sets could not be written this run."""
        return [g for g in self.groups if g.error]

    @property
    def updates(self) -> int:
        """UpdateIPSet / UpdateRegexPatternSet calls made, summed over all groups."""
        return sum(g.updates for g in self.groups)

    @property
    def dropped(self) -> list[Decision]:
        """Decisions not enforced for lack of room, every group's in rank order."""
        return [d for g in self.groups for d in g.dropped]

    def as_dict(self) -> dict[str, Any]:
        """The run as a JSON-ready dict: ``now`` (ISO 8601), totals, and per group its counts.

        Dropped decisions are given as counts, never as values.
        """
        return {
            "now": self.now.isoformat(),
            "updates": self.updates,
            "invalid": len(self.invalid),
            "read_units": self.read_units,
            "dropped": len(self.dropped),
            "failed": [g.group for g in self.failed],
            "groups": {
                g.group: {
                    "decisions": g.decisions,
                    "entries": g.entries,
                    "updates": g.updates,
                    "retries": g.retries,
                    "added": g.added,
                    "removed": g.removed,
                    "dropped": len(g.dropped),
                    **({"error": g.error} if g.error else {}),
                }
                for g in self.groups
            },
        }


def plan_ip_group(
    decisions: Sequence[Decision],
    networks: Mapping[str, Network],
    exclusions: Sequence[Network],
    version: int,
    room: int,
) -> capacity.Fitted:
    """The entries one (action, IP version) group should hold: the fewest CIDRs covering
    the decided networks minus the exclusions, trimmed to ``room`` by rank."""

    def entries_of(chosen: Sequence[Decision]) -> list[str]:
        return aggregate((networks[d.value] for d in chosen), exclusions, version)

    holes = Holes(exclusions)
    return capacity.fit(
        decisions,
        entries_of,
        room,
        own_count=lambda decision: holes.pieces(networks[decision.value]),
    )


class Enforcer:
    """Reconciles the managed WAF sets with a list of decisions.

    Args (of ``__init__``): ``settings`` says which sets it owns; ``waf_client`` is a boto3
    ``wafv2`` client of the sets' region (us-east-1 for CLOUDFRONT scope); ``sns_client``
    (optional) publishes the capacity alert; ``retry`` sets the conflict/throttle budget.
    One instance per container: it remembers when it last alerted about overflow.
    """

    def __init__(
        self,
        settings: EnforcerSettings,
        waf_client: WAFV2Client,
        sns_client: SNSClient | None = None,
        retry: Retry | None = None,
    ) -> None:
        self.settings = settings
        self.waf = waf_client
        self.sns = sns_client
        self.retry = retry or Retry()
        # Warm-container memory: while decisions keep overflowing, say so at most once
        # an hour (every changing run would otherwise alert every minute).
        self._overflow_alerted_at: datetime | None = None
        # The invalid decision keys last seen: a key is announced when it first appears.
        self._invalid_announced: frozenset[str] = frozenset()

    def run(
        self,
        store: DecisionStore,
        now: datetime | None = None,
        recent: Iterable[tuple[str, str]] = (),
    ) -> Report:
        """Read the active ban/captcha decisions from ``store`` and reconcile (see
        ``reconcile``); ``recent`` are (value, action) keys just written (a stream batch's),
        read with strong consistency.

        Items the store cannot read are skipped, counted and announced with the rest of
        the run's invalid decisions; every readable decision is still enforced.
        ``Report.read_units`` is what the read cost.
        """
        now = now or utcnow()
        read = store.read_enforceable(now, recent)
        try:
            report = self.reconcile(read.decisions, now, unreadable=read.unreadable)
        except GroupsFailed as failure:
            failure.report.read_units = read.read_units
            raise
        report.read_units = read.read_units
        return report

    def reconcile(
        self,
        decisions: Sequence[Decision],
        now: datetime | None = None,
        unreadable: Sequence[Unreadable] = (),
    ) -> Report:
        """Make every managed set hold exactly what the active ``decisions`` ask for.

        Only decisions with ``expires_at > now`` count (``now`` defaults to the clock, UTC).
        IP decisions with action ban or captcha go to their (action, IP version) group;
        ``count`` decisions are never enforced, and captcha decisions only when a captcha set
        is configured. Tenant bans go to the tenant regex pattern set when it is configured.
        Each group is aggregated, trimmed to capacity (see ``capacity.fit``), sharded and
        written diff-only, adds before removals (see ``_sync_ip_group``). A decision whose
        value is not a CIDR (IP scopes) or a tenant id (tenant scope) is skipped and listed
        in ``Report.invalid`` with ``unreadable`` (items the store could not read); a
        changed list of invalid keys is announced once. When decisions are dropped and the
        run changed something, an alert is published at most once per hour
        (``OVERFLOW_ALERT_EVERY``).

        Every group is tried even when another fails.

        Raises:
            GroupsFailed: one or more groups could not be written (still conflicting or
                throttled after the retry budget, access denied, a missing set...);
                ``GroupsFailed.report`` is the whole run, the other groups written.
        """
        now = now or utcnow()
        report = Report(now, invalid=list(unreadable))
        active = [d for d in decisions if d.active(now)]
        networks: dict[str, Network] = {}
        tenant_bans: list[Decision] = []
        for decision in active:
            if decision.scope == "tenant":
                if decision.action != "ban":
                    continue
                try:
                    if normalize_tenant(decision.value) != decision.value:
                        raise InvalidValue(f"tenant id {decision.value[:64]!r} is not normalised")
                except InvalidValue as error:
                    report.invalid.append(Unreadable(_key(decision), str(error)))
                    continue
                tenant_bans.append(decision)
                continue
            network = parse(decision.value)
            if network is None:
                report.invalid.append(Unreadable(_key(decision), "value is not a CIDR"))
                continue
            networks[decision.value] = network
        for invalid in report.invalid:
            logger.warning("skipping invalid decision %s: %s", invalid.key, invalid.reason)
        for action, version, refs in self.settings.ip_groups():
            chosen = [
                d
                for d in active
                if d.action == action
                and d.value in networks
                and networks[d.value].version == version
            ]
            name = f"{action}-v{version}"
            report.groups.append(
                self._isolated(
                    GroupReport(name, len(chosen), 0),
                    partial(
                        self._sync_ip_group, name, chosen, networks, version=version, refs=refs
                    ),
                )
            )
        if self.settings.tenant_set:
            report.groups.append(
                self._isolated(
                    GroupReport("tenants", len(tenant_bans), 0),
                    partial(self._sync_tenants, tenant_bans),
                )
            )
        self._announce_invalid(report)
        if report.dropped and report.updates:
            last = self._overflow_alerted_at
            if last is None or now - last >= OVERFLOW_ALERT_EVERY:
                self._announce_overflow(report)
                self._overflow_alerted_at = now
        elif not report.dropped:
            self._overflow_alerted_at = None
        if report.failed:
            raise GroupsFailed(report)
        return report

    @staticmethod
    def _isolated(placeholder: GroupReport, sync: Callable[[GroupReport], None]) -> GroupReport:
        """Run one group's sync; a failure is logged and kept in the group's ``error``,
        never stopping the groups after it."""
        try:
            sync(placeholder)
        except (ClientError, BotoCoreError, EdgeguardError, ValueError) as error:
            placeholder.error = f"{type(error).__name__}: {error}"[:500]
            logger.exception("group %s could not be enforced", placeholder.group)
        return placeholder

    # ------------------------------------------------------------ IP sets
    def _exclusions(self, version: int) -> list[Network]:
        """What may never be banned in ``version``: reserved ranges and the allowlist set."""
        excluded = [network for network, _why in never_bannable() if network.version == version]
        ref = self.settings.allow_v4 if version == 4 else self.settings.allow_v6
        if ref:
            snapshot, _ = with_retries(
                partial(read_ip_set, self.waf, ref), self.retry, f"read {ref.name}"
            )
            excluded += [n for n in map(parse, snapshot.entries) if n is not None]
        return excluded

    def _sync_ip_group(
        self,
        group: str,
        decisions: list[Decision],
        networks: dict[str, Network],
        report: GroupReport,
        *,
        version: int,
        refs: tuple[SetRef, ...],
    ) -> None:
        """Plan one (action, IP version) group and write its shards make-before-break.

        Phase one writes every changed shard with its new entries added and only those
        old entries removed that no longer cover a wanted address; phase two removes the
        old entries that the new ones replace (an aggregate that grew, shrank or moved).
        So at every instant each wanted address is in at least one of the group's sets.
        """
        limit = self.settings.set_capacity
        exclusions = self._exclusions(version)
        fitted = plan_ip_group(decisions, networks, exclusions, version, limit * len(refs))
        report.entries = len(fitted.entries)
        report.dropped = fitted.dropped
        report.last_kept = fitted.last_kept

        def attempt() -> None:
            snapshots = [read_ip_set(self.waf, ref) for ref in refs]
            current = [s.entries for s in snapshots]
            held = shard.superseded(fitted.entries, current)
            try:
                layout = shard.assign(
                    fitted.entries, current, limit, reserved=[len(h) for h in held]
                )
            except ValueError:
                # No room to keep the replaced entries during the change: write in one
                # phase (an address whose aggregate moves may be absent for one write).
                logger.warning("%s: no room for make-before-break, writing in one phase", group)
                layout = shard.assign(fitted.entries, current, limit)
                held = [[] for _ in refs]
            staged = [sorted({*wanted, *keep}) for wanted, keep in zip(layout, held, strict=True)]
            self._apply(report, snapshots, staged, write_ip_set)
            if staged != layout:
                snapshots = [read_ip_set(self.waf, ref) for ref in refs]
                self._apply(report, snapshots, layout, write_ip_set)

        _, report.retries = with_retries(attempt, self.retry, f"sync {group}")

    def _apply(
        self,
        report: GroupReport,
        snapshots: list[Snapshot],
        layout: Sequence[Sequence[str]],
        writer: Callable[[WAFV2Client, Snapshot, list[str]], None],
    ) -> None:
        for snapshot, wanted in zip(snapshots, layout, strict=True):
            if sorted(snapshot.entries) == sorted(wanted):
                continue
            report.updates += 1
            writer(self.waf, snapshot, list(wanted))
            added = len(set(wanted) - set(snapshot.entries))
            removed = len(set(snapshot.entries) - set(wanted))
            report.added += added
            report.removed += removed
            logger.info(
                "updated %s: %d entries (+%d -%d)", snapshot.ref.name, len(wanted), added, removed
            )

    # ------------------------------------------------------------ tenants
    def _sync_tenants(self, decisions: list[Decision], report: GroupReport) -> None:
        ref = self.settings.tenant_set
        assert ref is not None
        template = self.settings.tenant_template
        ranked = capacity.rank(decisions)
        keep = len(ranked)
        while keep and not tenants.fits(tenants.pack(template, (d.value for d in ranked[:keep]))):
            keep -= 1
        regexes = tenants.pack(template, (d.value for d in ranked[:keep]))
        report.entries = len(regexes)
        report.dropped = ranked[keep:]
        report.last_kept = ranked[keep - 1] if keep and report.dropped else None

        def attempt() -> None:
            snapshot = read_regex_set(self.waf, ref)
            self._apply(report, [snapshot], [regexes], write_regex_set)

        _, report.retries = with_retries(attempt, self.retry, "sync tenants")

    # ------------------------------------------------------------ alerts
    def _announce_invalid(self, report: Report) -> None:
        """Alert when the set of invalid decision keys gains a key: a bad item is told
        once, not every minute (warm-container memory; a cold start tells it again)."""
        keys = frozenset(invalid.key for invalid in report.invalid)
        new = keys - self._invalid_announced
        self._invalid_announced = keys
        if not new or not (self.sns and self.settings.alerts_topic_arn):
            return
        reasons = {i.key: i.reason for i in report.invalid if i.key in new}
        console = self._console()
        alert = Alert(
            kind="invalid-decisions",
            title=f"{len(new)} decision items cannot be enforced and are skipped",
            severity="high",
            happened=f"{len(new)} new item(s) in the decisions table cannot be read as a "
            "decision (value or action malformed).",
            did="Skipped them and enforced every other decision; they are told once.",
            undo=console.decisions(),
            links=(("WAF IP sets", console.waf_ip_sets()),),
            fields={
                "items (value|action: why)": [f"{k}: {r}" for k, r in sorted(reasons.items())][
                    :INVALID_ALERT_ITEMS
                ],
                "skipped in all": len(keys),
                "what to do": "fix or delete these items in the decisions table "
                "(edgeguard decisions); every other decision is enforced",
            },
        )
        publish(self.sns, self.settings.alerts_topic_arn, alert)

    def _console(self) -> Console:
        """Links and commands for this deployment (partition, region, account of the
        alerts topic; the stack from EDGEGUARD_STACK)."""
        return Console.deployed(self.settings.alerts_topic_arn or "")

    def _announce_overflow(self, report: Report) -> None:
        if not (self.sns and self.settings.alerts_topic_arn):
            return
        dropped = report.dropped
        why = [
            capacity.why_dropped(g.last_kept, d) for g in report.groups for d in reversed(g.dropped)
        ]
        console = self._console()
        alert = Alert(
            kind="enforcement-capacity",
            title=f"{len(dropped)} decisions do not fit the WAF sets and are not enforced",
            severity="high",
            happened=f"The active decisions need more IP set entries than the ban sets hold: "
            f"{len(dropped)} are not enforced.",
            did="Kept the highest-ranked decisions in WAF (operator bans first, blocklist "
            "entries last) and left the rest out until space frees.",
            undo=console.decisions(),
            links=(("WAF IP sets", console.waf_ip_sets()),),
            fields={
                "groups": {g.group: len(g.dropped) for g in report.groups if g.dropped},
                "order kept": "origin (manual > guardduty, securityhub > alarm > log > hunt > "
                "blocklist), then more events, then later expiry",
                "not enforced (lowest-ranked first)": why[:OVERFLOW_ALERT_ITEMS],
                "what to do": "raise BanShardsPerIpVersion (up to 10), or shorten ban durations",
            },
        )
        publish(self.sns, self.settings.alerts_topic_arn, alert)
