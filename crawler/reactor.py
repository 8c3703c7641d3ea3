"""Install Twisted's asyncio reactor, bound to the event loop that will run everything.

Scrapy's downloader talks to the network through ``twisted.internet.reactor``. The asyncio reactor
registers sockets and timers on ONE asyncio loop, fixed when it is installed; a crawl awaited on any
other loop silently fetches nothing. So the process installs the reactor once, first, and then runs
its whole life on the loop this module returns (see docs/decisions/0001-reactor-and-loop.md).
"""

from __future__ import annotations

import asyncio
import functools
import sys
import threading

ASYNCIO_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"


class ReactorError(RuntimeError):
    """The wrong reactor is installed, or the reactor is bound to another event loop."""


def install_asyncio_reactor(loop: asyncio.AbstractEventLoop | None = None) -> asyncio.AbstractEventLoop:
    """Install the asyncio reactor (idempotent) and return the loop it is bound to.

    ``loop`` defaults to the running loop when called from a coroutine, else a new loop that is also
    made the thread's current loop. Run the daemon on the returned loop, e.g.
    ``asyncio.Runner(loop_factory=lambda: loop)``. Raises :class:`ReactorError` when another
    reactor was installed first (something imported ``twisted.internet.reactor`` too early).
    """
    if "twisted.internet.reactor" in sys.modules:
        return reactor_loop()
    if loop is None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
    from twisted.internet import asyncioreactor

    asyncioreactor.install(eventloop=loop)
    return loop


def reactor_loop() -> asyncio.AbstractEventLoop:
    """The asyncio loop the installed reactor is bound to; :class:`ReactorError` if there is none."""
    if "twisted.internet.reactor" not in sys.modules:
        raise ReactorError("no Twisted reactor installed: call crawler.reactor.install_asyncio_reactor() first")
    from twisted.internet import asyncioreactor
    from twisted.internet import reactor as installed

    if not isinstance(installed, asyncioreactor.AsyncioSelectorReactor):
        raise ReactorError(
            f"the installed Twisted reactor is {type(installed).__name__}, not the asyncio reactor: "
            "something imported twisted.internet.reactor before crawler.reactor.install_asyncio_reactor()"
        )
    return installed._asyncioEventloop


def start_reactor() -> None:
    """Put the reactor in its running state on the running loop (idempotent); call from the loop.

    Nobody calls ``reactor.run()`` here (the asyncio loop is run by asyncio), so Twisted's startup
    triggers never fire on their own, and its thread pool, which Scrapy's DNS resolver needs, never
    starts: every request would time out. Raises :class:`ReactorError` when the running loop is not
    the reactor's.
    """
    bound = reactor_loop()
    if asyncio.get_running_loop() is not bound:
        raise ReactorError(
            "the asyncio reactor is bound to another event loop than the running one; "
            "run crawls on the loop returned by crawler.reactor.install_asyncio_reactor()"
        )
    from twisted.internet import reactor

    if not reactor._started:
        # Twisted's pool threads are not daemon threads and only stop on reactor.stop(), which we
        # never call (it would stop the asyncio loop): as they are, they keep the process from exiting.
        reactor.getThreadPool().threadFactory = functools.partial(threading.Thread, daemon=True)
        reactor.startRunning(installSignalHandlers=False)  # the daemon handles signals itself


def stop_reactor_threads() -> None:
    """Stop the reactor's thread pool (at exit). ``reactor.stop()`` would stop the asyncio loop too."""
    if "twisted.internet.reactor" not in sys.modules:
        return
    from twisted.internet import reactor

    pool = getattr(reactor, "threadpool", None)
    if pool is not None and pool.started:
        pool.stop()
