"""The Telegram chat page of `make screenshots` renders what Telegram renders, nothing more."""

from __future__ import annotations

from edgeguard.notify.telegram_format import render
from edgeguard_tools.report.telegram_page import bubble_html, page


def test_telegram_tags_render_and_anything_else_is_text():
    shown = bubble_html(
        '<b>bold</b> <i>it</i> <code>c</code> <a href="https://example.com/x?a=1&amp;b=2">l</a> '
        '<a href="javascript:alert(1)">x</a> &lt;script&gt; <script>alert(1)</script> '
        '<span class="tg-spoiler">s</span>'
    )
    assert "<b>bold</b> <i>it</i> <code>c</code>" in shown
    assert '<a href="https://example.com/x?a=1&amp;b=2" rel="noreferrer">l</a>' in shown
    assert '<a href="#" rel="noreferrer">x</a>' in shown
    assert "&lt;script&gt; &lt;script&gt;alert(1)&lt;/script&gt;" in shown
    assert '<span class="spoiler">s</span>' in shown
    assert "<script" not in shown


def test_chat_page_shows_the_formatter_output_with_no_script_allowed():
    alert = (
        '{"kind": "log", "title": "Banned <b>203.0.113.7</b>", "severity": "high", '
        '"fields": {"Sample": "GET /?q=<script>x</script>"}}'
    )
    (message,) = render(alert)
    html = page([(message, "14:05")])
    assert "<b>Banned &lt;b&gt;203.0.113.7&lt;/b&gt;</b>" in html
    assert "GET /?q=&lt;script&gt;x&lt;/script&gt;" in html
    assert "<script" not in html
    assert "script-src 'none'" in html
