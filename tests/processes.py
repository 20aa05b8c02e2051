"""Looking at processes from the tests: a command's children, and whether one still runs."""

import subprocess
from pathlib import Path


def children(pid: int) -> list[str]:
    """The process ids of ``pid``'s children."""
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return found.stdout.split()


def alive(pid: str) -> bool:
    """Whether a process runs (a zombie waiting to be reaped has ended)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status
