"""Progress on stderr: a bar on a terminal, plain lines otherwise, nothing when quiet."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """Report named steps of a known count."""

    def __init__(self, total: int, *, quiet: bool = False, stream: TextIO | None = None) -> None:
        self.total = total
        self.done = 0
        self.quiet = quiet
        self.stream = stream if stream is not None else sys.stderr
        self.started = time.perf_counter()
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def step(self, label: str) -> None:
        """Announce the next step."""
        self.done += 1
        if self.quiet:
            return
        if self.tty:
            width = 24
            filled = int(width * self.done / self.total)
            bar = "#" * filled + "-" * (width - filled)
            self.stream.write(f"\r[{bar}] {self.done}/{self.total} {label:<48.48}")
        else:
            self.stream.write(f"[{self.done}/{self.total}] {label}\n")
        self.stream.flush()

    def finish(self, message: str) -> None:
        """Close the bar and print a last line."""
        if self.quiet:
            return
        elapsed = time.perf_counter() - self.started
        prefix = "\n" if self.tty else ""
        self.stream.write(f"{prefix}{message} ({elapsed:.1f} s)\n")
        self.stream.flush()
