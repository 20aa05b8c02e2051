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
from typing import Any


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
    """Start children here: a Ctrl-C meanwhile waits until every child has started.

    A spawned child starts with the signal mask of the thread that forked it, through the
    exec, so blocking SIGINT here keeps a Ctrl-C during a child's start (its imports) from
    reaching it. The command's own Ctrl-C is held too (in the main thread): raised halfway
    through a start, after the fork but before the child is sent its task, it would leave
    a child that prints ``EOFError: Ran out of input``. The Ctrl-C is acted on when the
    block ends; nothing is lost.
    """
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    held: list[Any] = []
    main = threading.current_thread() is threading.main_thread()
    handler = signal.getsignal(signal.SIGINT) if main else None
    if callable(handler):
        signal.signal(signal.SIGINT, lambda signum, frame: held.append(frame))
    try:
        yield
    finally:
        if callable(handler):
            signal.signal(signal.SIGINT, handler)
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
    if held and callable(handler):
        handler(signal.SIGINT, held[0])  # the usual handler raises KeyboardInterrupt
