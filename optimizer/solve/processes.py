"""Child processes that stay quiet on Ctrl-C and end with their parent.

A child is spawned (a forked one would inherit the parent's HiGHS thread pool) with
SIGINT blocked, then ignored, so a Ctrl-C reaches only the parent, which kills its
children at once instead of waiting for their solves, and nothing prints a child's
traceback. A child also watches its parent and exits when the parent is gone (a
``kill -9`` of the command leaves no child behind).
"""

import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager


def start_child(parent: int) -> None:
    """Run first in a child: ignore Ctrl-C, and exit when ``parent`` is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


@contextmanager
def starting() -> Iterator[None]:
    """Block Ctrl-C in this thread while starting children: they inherit the block.

    A spawned child starts with the signal mask of the thread that forked it, through the
    exec, so a Ctrl-C during a child's start (its imports) never reaches it. The command
    loses nothing: a Ctrl-C meanwhile is delivered when the block ends (or at once to
    another of its threads).
    """
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
