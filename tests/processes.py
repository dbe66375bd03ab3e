"""Helpers for tests that start real servers in subprocesses."""

from __future__ import annotations

import subprocess


def stop(proc: subprocess.Popen, timeout: float = 20) -> None:
    """Terminate politely, then kill: a test must never leave a server behind."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
