"""A Telegram chat as an HTML page: the notifier's messages in chat bubbles, for screenshots.

The input is what the notifier sent with ``parse_mode=HTML`` (``cloud.telegram_messages``'s
``html``). Telegram renders a small set of tags ("Telegram Bot API: Formatting options,
HTML style"): b/strong, i/em, u/ins, s/strike/del, a href, code, pre, blockquote,
tg-spoiler (or span class="tg-spoiler"); entities &lt; &gt; &amp; &quot; and numeric
ones. Those are rendered the way Telegram shows them; anything else is shown as the
text it is. The page has no script and a Content-Security-Policy that allows none.
"""

from __future__ import annotations

import base64
import hashlib
from html import escape
from html.parser import HTMLParser
from importlib import resources

import jinja2
from markupsafe import Markup

TAGS = {
    "b": "b",
    "strong": "b",
    "i": "i",
    "em": "i",
    "u": "u",
    "ins": "u",
    "s": "s",
    "strike": "s",
    "del": "s",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-spoiler": "span",
    "a": "a",
}
LINK_SCHEMES = ("https://", "http://", "tg://")


class _Converter(HTMLParser):
    """Telegram HTML -> safe page HTML (allowed tags kept, the rest escaped as text)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "span" and values.get("class") == "tg-spoiler":
            tag = "tg-spoiler"
        if tag not in TAGS:
            self.out.append(escape(self.get_starttag_text() or f"<{tag}>"))
            return
        if tag == "a":
            href = values.get("href") or ""
            safe = href if href.startswith(LINK_SCHEMES) else "#"
            self.out.append(f'<a href="{escape(safe)}" rel="noreferrer">')
        elif tag == "tg-spoiler":
            self.out.append('<span class="spoiler">')
        else:
            self.out.append(f"<{TAGS[tag]}>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "span":
            tag = "tg-spoiler"
        if tag in TAGS:
            self.out.append(f"</{TAGS[tag]}>")
        else:
            self.out.append(escape(f"</{tag}>"))

    def handle_data(self, data: str) -> None:
        self.out.append(escape(data, quote=False))


def bubble_html(telegram_html: str) -> Markup:
    """One message's text as page HTML, rendered the way Telegram renders it."""
    converter = _Converter()
    converter.feed(telegram_html)
    converter.close()
    return Markup("".join(converter.out))  # noqa: S704 - built from escaped parts above


_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("edgeguard_tools.report", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


def page(messages: list[tuple[str, str]], chat: str = "edgeguard alerts") -> str:
    """The chat page: ``messages`` as (Telegram HTML, time shown under it) pairs."""
    css = resources.files(__package__).joinpath("templates/telegram.css").read_text("utf-8")
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    return _ENV.get_template("telegram.html.j2").render(
        chat=chat,
        css=Markup(css),  # noqa: S704 - our own stylesheet, pinned by its hash in the CSP
        style_hash=f"sha256-{digest}",
        messages=[{"html": bubble_html(text), "time": when} for text, when in messages],
    )
