"""Feed formats: a downloaded body -> the addresses and networks it lists.

Each parser returns a ``Parsed``: the entries as the feed wrote them (an address or a
CIDR, not yet normalised: ``edgeguard.decisions.rules`` does that), the lines it could
not read (counted, never fatal on their own) and, when the format declares one, how
many records the feed says it holds (a truncated download is detected by comparing).

Formats (``FORMATS``):

- ``drop-json``: Spamhaus DROP / DROPv6 in JSON lines (``drop_v4.json``,
  ``drop_v6.json``): one object per line, ``{"cidr": "1.10.16.0/20", "sblid":
  "SBL256894", "rir": "apnic"}``, and a last line ``{"type": "metadata", "timestamp":
  ..., "size": ..., "records": N, ...}``. A body without that line, or whose record
  count differs from ``records``, is truncated. Source: "Spamhaus: DROP lists"
  (www.spamhaus.org/drop/) and the files themselves.
- ``drop-text``: the classic DROP text form (``drop.txt``, ``dropv6.txt``):
  ``1.10.16.0/20 ; SBL256894``, comment lines start with ``;``.
- ``tor-bulk``: the Tor Project's bulk exit list (check.torproject.org/torbulkexitlist):
  one address per line.
- ``tor-exit-addresses``: TorDNSEL's exit-addresses (check.torproject.org/exit-addresses):
  records of ``ExitNode``, ``Published``, ``LastStatus`` and ``ExitAddress <ip> <date>``
  lines; only the ``ExitAddress`` lines are entries.
- ``netset``: FireHOL's ipsets (``firehol_level1.netset``): one address or CIDR per line,
  ``#`` comments.
- ``plain``: any list of one address or CIDR per line (Emerging Threats'
  ``compromised-ips.txt``): ``#`` and ``;`` start a comment, also after an entry.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

from edgeguard.errors import EdgeguardError

MAX_PROBLEMS_KEPT = 20  # lines quoted in a report; all are counted


class FeedFormatError(EdgeguardError, ValueError):
    """The body is not a feed of the expected format as a whole (HTML, truncated, empty)."""


@dataclass
class Parsed:
    """What a body lists: ``entries`` (raw address/CIDR strings, in feed order),
    ``problems`` (the first ``MAX_PROBLEMS_KEPT`` unreadable lines, ``line N: why``),
    ``unreadable`` (how many lines were unreadable in all), ``declared`` (the record
    count the feed declares, when its format has one)."""

    entries: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    unreadable: int = 0
    declared: int | None = None

    def problem(self, number: int, line: str, why: str) -> None:
        """Count an unreadable line (1-based ``number``) and keep the first few."""
        self.unreadable += 1
        if len(self.problems) < MAX_PROBLEMS_KEPT:
            self.problems.append(f"line {number}: {why}: {line[:80]!r}")


def _lines(body: str) -> list[tuple[int, str]]:
    return [(n, line.strip()) for n, line in enumerate(body.splitlines(), 1)]


def _token_list(body: str, comments: tuple[str, ...]) -> Parsed:
    """One entry per line: the first word before any comment marker."""
    parsed = Parsed()
    for number, line in _lines(body):
        for marker in comments:
            line = line.split(marker, 1)[0].strip()  # noqa: PLW2901 - the line without its comment
        if not line:
            continue
        words = line.split()
        if len(words) != 1:
            parsed.problem(number, line, "more than one word")
            continue
        parsed.entries.append(words[0])
    return parsed


def parse_plain(body: str) -> Parsed:
    """``plain``: one address or CIDR per line; ``#`` and ``;`` start comments."""
    return _token_list(body, ("#", ";"))


def parse_netset(body: str) -> Parsed:
    """``netset`` (FireHOL): one address or CIDR per line; ``#`` comments."""
    return _token_list(body, ("#",))


def parse_drop_text(body: str) -> Parsed:
    """``drop-text``: ``CIDR ; SBLnnn`` lines; ``;`` comments (the header)."""
    return _token_list(body, (";",))


def parse_tor_bulk(body: str) -> Parsed:
    """``tor-bulk``: one exit address per line (``#`` comments tolerated)."""
    return _token_list(body, ("#",))


def parse_tor_exit_addresses(body: str) -> Parsed:
    """``tor-exit-addresses``: the address of every ``ExitAddress <ip> <date> <time>`` line.

    A body with no ``ExitNode`` record at all is not this format (FeedFormatError).
    """
    parsed = Parsed()
    nodes = 0
    for number, line in _lines(body):
        keyword, _, rest = line.partition(" ")
        if keyword == "ExitNode":
            nodes += 1
        elif keyword == "ExitAddress":
            words = rest.split()
            if not words:
                parsed.problem(number, line, "ExitAddress without an address")
            else:
                parsed.entries.append(words[0])
        elif keyword not in {"Published", "LastStatus", ""}:
            parsed.problem(number, line, "not an exit-addresses line")
    if nodes == 0 and body.strip():
        raise FeedFormatError("no ExitNode record: not a TorDNSEL exit-addresses list")
    return parsed


def parse_drop_json(body: str) -> Parsed:
    """``drop-json``: one JSON object per line; the metadata line's ``records`` is the count.

    Raises:
        FeedFormatError: no metadata line (the body was cut before it), or a metadata
            line that is not the last one or has no whole ``records`` count.
    """
    parsed = Parsed()
    metadata_line = 0
    for number, line in _lines(body):
        if not line:
            continue
        if metadata_line:
            raise FeedFormatError(f"line {number} follows the metadata line (line {metadata_line})")
        try:
            record = json.loads(line)
        except ValueError:
            parsed.problem(number, line, "not JSON")
            continue
        if not isinstance(record, dict):
            parsed.problem(number, line, "not a JSON object")
            continue
        if record.get("type") == "metadata":
            metadata_line = number
            declared = record.get("records")
            if not isinstance(declared, int) or isinstance(declared, bool) or declared < 0:
                raise FeedFormatError("the metadata line has no record count ('records')")
            parsed.declared = declared
            continue
        cidr = record.get("cidr")
        if not isinstance(cidr, str) or not cidr.strip():
            parsed.problem(number, line, "no 'cidr' string")
            continue
        parsed.entries.append(cidr.strip())
    if not metadata_line:
        raise FeedFormatError("no metadata line: the body is cut short (truncated)")
    return parsed


FORMATS: dict[str, Callable[[str], Parsed]] = {
    "drop-json": parse_drop_json,
    "drop-text": parse_drop_text,
    "tor-bulk": parse_tor_bulk,
    "tor-exit-addresses": parse_tor_exit_addresses,
    "netset": parse_netset,
    "plain": parse_plain,
}


def guess_format(body: bytes) -> str:
    """The format a body most likely has, from its content (never from a name): JSON
    objects with ``cidr`` -> ``drop-json``; ``ExitNode`` records -> ``tor-exit-addresses``;
    ``CIDR ; SBL...`` lines -> ``drop-text``; anything else -> ``plain``."""
    text = body[:65536].decode("utf-8", "replace").lstrip("\ufeff")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    data = [line for line in lines if not line.startswith(("#", ";"))]
    if data and data[0].startswith("{") and '"cidr"' in data[0]:
        return "drop-json"
    if any(line.startswith("ExitNode ") for line in lines[:5]):
        return "tor-exit-addresses"
    if data and all(" ; SBL" in line for line in data[:20]):
        return "drop-text"
    return "plain"


_HTML_STARTS = ("<!doctype", "<html", "<head", "<body", "<?xml", "<title")


def looks_like_html(body: str) -> bool:
    """True when a body is an HTML (or XML) page rather than a list: a captive portal,
    an error page or a login page served with status 200."""
    start = body.lstrip("\ufeff \t\r\n")[:512].lower()
    return start.startswith(_HTML_STARTS) or "<html" in start


def parse(body: bytes, fmt: str) -> Parsed:
    """Decode (UTF-8, a BOM tolerated) and parse ``body`` as ``fmt``.

    Raises:
        FeedFormatError: an unknown format, a body that is not text, an HTML page, a
            truncated ``drop-json`` body (no metadata line, or fewer or more records
            than it declares), or a format-level mismatch (see each parser).
    """
    parser = FORMATS.get(fmt)
    if parser is None:
        raise FeedFormatError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FeedFormatError(f"not UTF-8 text (byte {error.start})") from None
    if "\x00" in text:
        raise FeedFormatError("binary content (NUL bytes), not a list")
    if looks_like_html(text):
        raise FeedFormatError("an HTML page, not a list (an error or login page?)")
    parsed = parser(text)
    counted = len(parsed.entries) + parsed.unreadable
    if parsed.declared is not None and parsed.declared != counted:
        raise FeedFormatError(
            f"the feed declares {parsed.declared} records but holds {counted}: truncated"
        )
    return parsed
