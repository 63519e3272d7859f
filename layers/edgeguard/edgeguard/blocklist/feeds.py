"""Which feeds are imported: the built-in defaults and the ``BlocklistFeeds`` parameter.

The parameter is ``default`` (the built-in list, ``DEFAULT_FEEDS``) or a JSON array of
feed objects, the whole list: ``{"name", "url", "format", "action", "max_width_v4",
"max_width_v6", "enabled"}``. An object named like a built-in feed inherits that
feed's other fields, so ``[{"name": "spamhaus-drop"}, {"name": "tor-exits", "enabled":
true}]`` imports those two; a new name needs ``url`` and ``format``. docs/blocklists.md lists
the defaults and what each costs in IP set entries.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, fields, replace
from typing import Any
from urllib.parse import urlsplit

from edgeguard.blocklist.formats import FORMATS
from edgeguard.config import ConfigError
from edgeguard.decisions import ACTIONS
from edgeguard.decisions.rules import WIDEST_PREFIX

NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,47}$")
WIDEST_V4, WIDEST_V6 = WIDEST_PREFIX["blocklist"]  # no feed may list wider than /8 and /16
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


@dataclass(frozen=True)
class Feed:
    """One configured feed.

    ``max_width_v4``/``max_width_v6`` are the widest prefixes (prefix lengths) an entry
    of this feed may have: a wider entry is refused (never narrowed). ``action`` is the
    decisions' action (``count`` records without enforcing: a dry run of a new feed).
    """

    name: str
    url: str
    format: str
    action: str = "ban"
    max_width_v4: int = 24
    max_width_v6: int = 48
    enabled: bool = True


DEFAULT_FEEDS: tuple[Feed, ...] = (
    Feed(
        "spamhaus-drop",
        "https://www.spamhaus.org/drop/drop_v4.json",
        "drop-json",
        max_width_v4=WIDEST_V4,
        max_width_v6=WIDEST_V6,
    ),
    Feed(
        "spamhaus-dropv6",
        "https://www.spamhaus.org/drop/drop_v6.json",
        "drop-json",
        max_width_v4=WIDEST_V4,
        max_width_v6=WIDEST_V6,
    ),
    Feed(
        "et-compromised",
        "https://rules.emergingthreats.net/blockrules/compromised-ips.txt",
        "plain",
        max_width_v4=24,
        max_width_v6=48,
    ),
    Feed(
        "tor-exits",
        "https://check.torproject.org/torbulkexitlist",
        "tor-bulk",
        action="captcha",
        max_width_v4=32,
        max_width_v6=64,
        enabled=False,
    ),
    Feed(
        "firehol-level1",
        "https://raw.githubusercontent.com/firehol/blocklist-ipsets/master/firehol_level1.netset",
        "netset",
        max_width_v4=WIDEST_V4,
        max_width_v6=WIDEST_V6,
        enabled=False,
    ),
)

_FIELDS = {f.name for f in fields(Feed)}


def _check(feed: Feed) -> Feed:
    where = f"BlocklistFeeds: feed {feed.name!r}"
    if not NAME_PATTERN.fullmatch(feed.name):
        raise ConfigError(f"{where}: a name is 1-48 of a-z, 0-9, '-', '_'")
    if feed.format not in FORMATS:
        raise ConfigError(f"{where}: format must be one of {', '.join(FORMATS)}")
    if feed.action not in ACTIONS:
        raise ConfigError(f"{where}: action must be one of {', '.join(ACTIONS)}")
    if not WIDEST_V4 <= feed.max_width_v4 <= 32:
        raise ConfigError(f"{where}: max_width_v4 must be {WIDEST_V4}-32")
    if not WIDEST_V6 <= feed.max_width_v6 <= 128:
        raise ConfigError(f"{where}: max_width_v6 must be {WIDEST_V6}-128")
    check_url(feed.url, feed.name)
    return feed


def check_url(url: str, name: str) -> None:
    """Refuse a feed URL that is not https:// (http:// only on the loopback address).

    Raises:
        ConfigError: a list fetched in clear text could be altered on the way to ban
            anyone; the message names the feed.
    """
    parts = urlsplit(url)
    loopback = parts.scheme == "http" and (parts.hostname or "") in _LOOPBACK_HOSTS
    if not (parts.scheme == "https" and parts.hostname) and not loopback:
        raise ConfigError(
            f"BlocklistFeeds: feed {name!r}: the URL must be https:// (a list fetched in "
            "clear text could be altered on the way to ban anyone); http:// only for "
            "127.0.0.1 in tests"
        )


def _feed(raw: Any, defaults: dict[str, Feed]) -> Feed:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        raise ConfigError("BlocklistFeeds: every feed is a JSON object with a 'name'")
    unknown = sorted(set(raw) - _FIELDS)
    if unknown:
        raise ConfigError(f"BlocklistFeeds: feed {raw['name']!r}: unknown keys {unknown}")
    base = defaults.get(raw["name"])
    if base is None and not {"url", "format"} <= set(raw):
        raise ConfigError(f"BlocklistFeeds: feed {raw['name']!r} needs 'url' and 'format'")
    for key, kind in (
        ("url", str),
        ("format", str),
        ("action", str),
        ("max_width_v4", int),
        ("max_width_v6", int),
        ("enabled", bool),
    ):
        value = raw.get(key)
        wrong = not isinstance(value, kind) or (kind is int and isinstance(value, bool))
        if key in raw and wrong:
            what = {str: "string", int: "whole number", bool: "true or false"}[kind]
            raise ConfigError(f"BlocklistFeeds: feed {raw['name']!r}: {key} must be a {what}")
    if base is None:
        return _check(Feed(**raw))
    return _check(replace(base, **raw))


def parse_feeds(text: str) -> tuple[Feed, ...]:
    """The feeds a ``BlocklistFeeds`` value configures (enabled or not), defaults included.

    ``""`` or ``default``: ``DEFAULT_FEEDS``. A JSON array: exactly the feeds it names,
    in its order; an object named like a built-in feed inherits that feed's fields.

    Raises:
        ConfigError: not JSON, not an array of feed objects, a duplicate name, an
            unknown key, or a field out of range; the message names the feed and field.
    """
    stripped = (text or "").strip()
    if stripped in {"", "default"}:
        return DEFAULT_FEEDS
    try:
        raw = json.loads(stripped)
    except ValueError as error:
        raise ConfigError(f"BlocklistFeeds: not JSON ({error})") from None
    if not isinstance(raw, list):
        raise ConfigError("BlocklistFeeds: a JSON array of feed objects, or 'default'")
    defaults = {feed.name: feed for feed in DEFAULT_FEEDS}
    configured: dict[str, Feed] = {}
    for item in raw:
        feed = _feed(item, defaults)
        if feed.name in configured:
            raise ConfigError(f"BlocklistFeeds: feed {feed.name!r} is named twice")
        configured[feed.name] = feed
    return tuple(configured.values())
