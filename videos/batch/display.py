"""Progress on the terminal: a rich progress bar on a terminal, plain lines in a log, nothing
with --json (whose output is the final document alone)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from rich.console import Console, Group
from rich.live import Live
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.text import Text

from .runner import Snapshot


def format_eta(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def describe(snapshot: Snapshot) -> str:
    parts = [
        f"submitted {snapshot.submitted}/{snapshot.total}",
        f"queued {snapshot.queued}",
        f"processing {snapshot.processing}" + (f" (step {snapshot.step})" if snapshot.step else ""),
        f"completed {snapshot.completed}",
        f"failed {snapshot.failed + snapshot.canceled + snapshot.rejected}",
        f"eta {format_eta(snapshot.eta_seconds)}",
    ]
    if snapshot.invalid:
        parts.insert(-1, f"invalid {snapshot.invalid}")
    if snapshot.waiting_for_room:
        parts.append("waiting for queue room")
    if snapshot.workers_alive == 0:
        parts.append("no live workers: start them with `python manage.py qcluster`")
    return ", ".join(parts)


class NullDisplay:
    def __enter__(self) -> NullDisplay:
        return self

    def __exit__(self, *exc) -> None:
        return None

    def update(self, snapshot: Snapshot) -> None:
        return None


class LineDisplay(NullDisplay):
    """One line whenever something changed, at most every `interval` seconds (and the last
    state on exit), so a log of a long batch stays readable."""

    def __init__(self, stream: TextIO | None = None, interval: float = 2.0):
        self.stream = stream or sys.stderr
        self.interval = interval
        self.last_text = ""
        self.last_time = 0.0
        self.pending = ""

    def update(self, snapshot: Snapshot) -> None:
        text = describe(snapshot)
        if text == self.last_text:
            return
        self.pending = text
        if time.monotonic() - self.last_time >= self.interval or snapshot.finished == snapshot.total:
            self._emit()

    def _emit(self) -> None:
        if self.pending and self.pending != self.last_text:
            self.stream.write(f"[{time.strftime('%H:%M:%S')}] {self.pending}\n")
            self.stream.flush()
            self.last_text, self.last_time = self.pending, time.monotonic()

    def __exit__(self, *exc) -> None:
        self._emit()


class BarDisplay(NullDisplay):
    """Two bars (submitted, finished) and, under them, a line with the counts, the running
    job's step and the ETA (on its own line, so it fits a narrow terminal)."""

    def __init__(self, total: int, console: Console | None = None):
        self.console = console or Console(file=sys.stderr)
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description:<9}"),
            BarColumn(bar_width=30),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.console,
        )
        self.submitted = self.progress.add_task("submitted", total=total)
        self.finished = self.progress.add_task("finished", total=total)
        self.detail = Text("")
        self.live = Live(Group(self.progress, self.detail), console=self.console, refresh_per_second=8)

    def __enter__(self) -> BarDisplay:
        self.live.start()
        return self

    def __exit__(self, *exc) -> None:
        self.live.stop()

    def update(self, snapshot: Snapshot) -> None:
        self.progress.update(self.submitted, completed=snapshot.submitted + snapshot.invalid + snapshot.rejected)
        self.progress.update(self.finished, completed=snapshot.finished)
        self.detail.plain = describe(snapshot)


def make_display(mode: str, total: int) -> NullDisplay:
    """mode: auto (a bar on a terminal, lines otherwise), bar, lines or none."""
    if mode == "none":
        return NullDisplay()
    if mode == "bar" or (mode == "auto" and sys.stderr.isatty()):
        return BarDisplay(total, Console(file=sys.stderr, force_terminal=True if mode == "bar" else None))
    return LineDisplay()
