"""What the benchmark scripts share: one measurement per fresh process, and its peak memory.

A script measures each case in a fresh Python process (imports done before the clock
starts, the process's peak memory its own): the parent calls :func:`in_subprocess`
with the script and its case arguments, the child prints one JSON line last.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any


def in_subprocess(script: str | Path, *args: str) -> dict[str, Any]:
    """Run ``python -W ignore script *args`` and return the JSON its last line prints."""
    out = subprocess.run(
        [sys.executable, "-W", "ignore", str(script), *args],
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def peak_mb() -> float:
    """Peak resident memory of this process (``VmHWM``), in MB.

    Not ``ru_maxrss`` where ``/proc`` is available: Linux carries it over ``exec``, so
    a child would report its parent's peak when the parent was the larger.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
