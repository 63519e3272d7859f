"""What a demo chapter uses to tell its part and state what must have happened."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import TextIO


@dataclass
class Check:
    chapter: str
    expectation: str
    ok: bool
    detail: str = ""


@dataclass
class Story:
    """Prints each step as it happens and records every expected outcome."""

    stream: TextIO | None = None  # None: whatever sys.stdout is when printing
    checks: list[Check] = field(default_factory=list)
    chapter: str = ""
    started: float = field(default_factory=time.monotonic)

    def begin(self, title: str) -> None:
        self.chapter = title
        print(f"\n== {title} ==", file=self.out, flush=True)

    def step(self, text: str) -> None:
        elapsed = time.monotonic() - self.started
        print(f"  [{elapsed:5.1f}s] {text}", file=self.out, flush=True)

    def expect(self, expectation: str, ok: bool, detail: str = "") -> bool:
        """Record an expected outcome; the demo fails if any is not met."""
        self.checks.append(Check(self.chapter, expectation, bool(ok), detail))
        mark = "ok  " if ok else "FAIL"
        suffix = f" ({detail})" if detail else ""
        print(f"          {mark} {expectation}{suffix}", file=self.out, flush=True)
        return bool(ok)

    @property
    def out(self) -> TextIO:
        return self.stream if self.stream is not None else sys.stdout

    @property
    def failed(self) -> list[Check]:
        return [check for check in self.checks if not check.ok]

    def summary(self) -> str:
        width = max([len(c.expectation) for c in self.checks] + [11])
        chapter_width = max([len(c.chapter) for c in self.checks] + [7])
        lines = [f"{'chapter':<{chapter_width}}  {'expectation':<{width}}  result"]
        lines.append("-" * len(lines[0]))
        lines += [
            f"{c.chapter:<{chapter_width}}  {c.expectation:<{width}}  {'ok' if c.ok else 'FAILED'}"
            for c in self.checks
        ]
        total = time.monotonic() - self.started
        lines.append(
            f"{len(self.checks) - len(self.failed)}/{len(self.checks)} met in {total:.1f}s"
        )
        return "\n".join(lines)
