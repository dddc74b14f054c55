"""Run one blocking call in a daemon thread and await its result from the event loop.

For I/O that may block without end (opening a FIFO with no writer, reading from a
writer that stalls). Unlike ``asyncio.to_thread`` the thread is a daemon and not in the
default executor, which ``asyncio.run`` joins at exit: a call that never returns
cannot keep the process alive after Ctrl-C. The awaiting task can be cancelled at any
time; the thread's late result is then dropped.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any, TypeVar

_T = TypeVar("_T")


async def in_daemon_thread(fn: Callable[..., _T], *args: Any) -> _T:
    loop = asyncio.get_running_loop()
    future: asyncio.Future[_T] = loop.create_future()

    def settle(result: _T | None, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]

    def work() -> None:
        try:
            result = fn(*args)
        except BaseException as e:  # handed to the awaiting task, whatever it is
            error: BaseException | None = e
            result = None
        else:
            error = None
        try:
            loop.call_soon_threadsafe(settle, result, error)
        except RuntimeError:  # the loop is closed: nobody is waiting any more
            pass

    threading.Thread(target=work, name=f"blocking-{getattr(fn, '__name__', 'call')}", daemon=True).start()
    return await future
