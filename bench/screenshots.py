"""``make screenshots``: the README's two pictures, regenerated from the code.

- docs/img/report.png: ``edgeguard replay --report`` on the labelled corpus of
  ``bench.traffic`` (seed 20261130, the hour ``bench.detection`` evaluates), written as
  CloudFront log files; the top of the page (summary, decided clients, the first one).
- docs/img/telegram-alert.png: what Telegram shows for the log analyzer's alert. The
  demo's attack log (``edgeguard_tools.demo.logs``) is put in the local cloud's log
  bucket; the alert the notifier really sent to the Telegram stand-in (HTML parse
  mode, text from ``edgeguard.notify.telegram_format``) is drawn as a chat bubble.

Both are taken by Debian's headless Chromium through Playwright (as tests/browser do).
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import sys
import tempfile
import warnings
from datetime import UTC, datetime
from pathlib import Path

from bench.detection import SEED, write_logs
from bench.traffic import generate

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "docs" / "img"
LIMIT = 300_000  # bytes per picture: the README stays light


def chromium() -> str:
    path = os.environ.get("EDGEGUARD_CHROMIUM") or shutil.which("chromium")
    if not path:
        raise SystemExit("make screenshots: Chromium not found (make browser installs it)")
    return path


def report_page(directory: Path) -> Path:
    """The labelled hour as CloudFront files, replayed with --report; the page's path."""
    from edgeguard_tools.cli import main  # noqa: PLC0415

    logs = directory / "logs"
    logs.mkdir()
    lines = write_logs(generate(200_000, SEED), "cloudfront", logs)
    out = directory / "report.html"
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = main(["replay", "--report", str(out), str(logs)])
    if code != 0:
        raise SystemExit(f"edgeguard replay exited {code}: {err.getvalue()}")
    print(f"report of {lines:,} labelled lines: {out.stat().st_size:,} bytes")
    return out


def telegram_page(directory: Path) -> Path:
    """The log analyzer's alert for the demo's attack log, as Telegram shows it."""
    from edgeguard_tools.demo import logs as chapter  # noqa: PLC0415
    from edgeguard_tools.local.cloud import LocalCloud  # noqa: PLC0415
    from edgeguard_tools.report.telegram_page import page  # noqa: PLC0415

    start = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
    # a handler with nothing to count flushes no metrics: expected, not news here
    warnings.filterwarnings("ignore", "No application metrics to publish", UserWarning)
    with LocalCloud(quiet=True) as cloud:
        cloud.put_object("LogBucket", chapter.KEY, chapter.attack_log(start))
        sent = list(cloud.telegram_messages)
    if not sent:
        raise SystemExit("make screenshots: the log analyzer sent no Telegram message")
    shown = [
        (str(m["html"]), datetime.fromtimestamp(m["date"], UTC).strftime("%H:%M")) for m in sent
    ]
    out = directory / "telegram.html"
    out.write_text(page(shown), encoding="utf-8")
    return out


def shoot(
    page_path: Path,
    image: Path,
    *,
    width: int,
    height: int | None,
    selector: str,
    scale: float = 1,
) -> None:
    """A screenshot of ``page_path`` (file://): the element ``selector``, cut at ``height``."""
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=chromium(), headless=True)
        try:
            tab = browser.new_page(
                viewport={"width": width, "height": 800}, device_scale_factor=scale
            )
            errors: list[str] = []
            tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            tab.goto(page_path.as_uri())
            box = tab.locator(selector).bounding_box()
            assert box is not None, selector
            clip = {
                "x": box["x"],
                "y": box["y"],
                "width": box["width"],
                "height": min(box["height"], height) if height else box["height"],
            }
            tab.screenshot(path=str(image), clip=clip, full_page=True)
            if errors:
                raise SystemExit(f"make screenshots: console errors in {page_path.name}: {errors}")
        finally:
            browser.close()
    size = image.stat().st_size
    print(f"{image}: {size:,} bytes")
    if size > LIMIT:
        raise SystemExit(f"{image.name} is {size:,} bytes, over {LIMIT:,}: make it smaller")


def main() -> int:
    IMAGES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        shoot(report_page(work), IMAGES / "report.png", width=1000, height=1500, selector="main")
        shoot(
            telegram_page(work),
            IMAGES / "telegram-alert.png",
            width=600,
            height=None,
            selector=".chat",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
