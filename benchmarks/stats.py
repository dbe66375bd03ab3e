"""Small measuring helpers the benchmark scripts share (run as `python benchmarks/NAME.py`, so this
folder is on the import path)."""

from __future__ import annotations

import resource
from pathlib import Path


def pct(values: list[float], q: float) -> float:
    """The q-quantile of `values` (nearest rank): 0.5 is the median."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def rss_mb() -> float:
    """This process's resident memory now (its peak where /proc is missing), in MB."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
