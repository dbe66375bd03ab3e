"""Ingest progress and problems on stderr, shared by the CLI and the chat app's start-up."""

from __future__ import annotations

import sys
from typing import Any


class ProgressBar:
    """A tqdm bar on stderr, created only when there is something to embed."""

    def __init__(self, desc: str, leave: bool = False) -> None:
        self.desc = desc
        self.leave = leave
        self.bar: Any = None

    def __call__(self, done: int, total: int, what: str) -> None:
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="text", desc=self.desc, file=sys.stderr, leave=self.leave)
        if total != self.bar.total:  # the total is corrected as articles are read (see ingest.pipeline)
            self.bar.total = total
        self.bar.update(done - self.bar.n)
        self.bar.set_postfix_str(what[-30:], refresh=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def print_report(report: Any) -> None:
    """One line per remark and per skipped file, each naming the file and the reason."""
    for line in report.notices:
        print(f"note: {line}", file=sys.stderr)
    for line in report.problems:
        print(f"skipped: {line}", file=sys.stderr)
