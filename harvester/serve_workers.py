"""``moisson serve --workers N``: N HTTP processes, each listening on the port with its own
``SO_REUSEPORT`` socket, so the kernel spreads connections over them.

uvicorn's own ``--workers`` shares one listening socket, and a woken event loop accepts
every connection waiting on it: a burst of keep-alive clients all landed on one process
(16 clients connecting at once on two processes: 14 and 2), which then served them alone
while the other core idled. With one socket per process the kernel picks the process by
hashing the connection's addresses. Where ``SO_REUSEPORT`` does not balance (not Linux),
uvicorn's shared socket serves instead.

The supervisor restarts a process that dies and stops them all on SIGINT or SIGTERM; on
Linux a process also stops when the supervisor dies without telling it (SIGKILL, OOM).
Only the first process runs the embedded scheduler (it must run once); the others serve.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import socket
import sys
import time
from multiprocessing.process import BaseProcess
from types import FrameType

import structlog

from api.shared_buckets import SharedTables, allocate_tables, use_shared_tables
from harvester.logs import LogFormat, configure_logging

log = structlog.get_logger(__name__)

RESTART_PAUSE = 1.0
"""Seconds between restarts of a process that keeps dying (e.g. the port taken)."""

STOP_GRACE = 10.0
"""Seconds a process has to finish its requests once told to stop."""


def balanced_by_kernel() -> bool:
    """Whether the kernel spreads connections over ``SO_REUSEPORT`` sockets (Linux)."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket listening on ``host:port`` that other processes may also listen on."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    return sock


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def stop_with_parent(parent: int) -> None:
    """Linux: have the kernel send SIGTERM to this process when ``parent`` dies, however it
    dies (a supervisor killed with SIGKILL left its workers serving, holding the port)."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
        log.warning("cannot follow the supervisor's death", errno=ctypes.get_errno())
        return
    if os.getppid() != parent:  # it died before the request took effect
        os.kill(os.getpid(), signal.SIGTERM)


def run_worker(
    app: str,
    host: str,
    port: int,
    log_format: LogFormat,
    log_level: str,
    parent: int,
    buckets: SharedTables,
    scheduler: bool,
) -> None:
    """One HTTP process (the target of each spawned worker); ``buckets``: the rate limits
    shared by the processes; ``scheduler``: whether it runs the embedded scheduler (read
    by the app's settings)."""
    import uvicorn

    stop_with_parent(parent)
    use_shared_tables(buckets)
    if not scheduler:
        os.environ["MOISSON_SCHEDULER"] = "false"
    configure_logging(log_format, log_level)
    sock = listening_socket(host, port)
    config = uvicorn.Config(app, factory=True, log_config=None)
    uvicorn.Server(config).run(sockets=[sock])


def serve_workers(
    app: str,
    host: str,
    port: int,
    workers: int,
    *,
    log_format: LogFormat,
    log_level: str,
    scheduler: bool = False,
) -> None:
    """Run ``workers`` processes of ``app`` (an import string of a factory) until SIGINT or
    SIGTERM, restarting any that dies; with ``scheduler``, the first one (and whichever
    replaces it) runs the embedded scheduler."""
    context = multiprocessing.get_context("spawn")
    buckets = allocate_tables(context)
    arguments = (app, host, port, log_format, log_level, os.getpid(), buckets)
    stopping = False

    def stop(_signal: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}

    def start(position: int) -> BaseProcess:
        runs_scheduler = scheduler and position == 0
        process = context.Process(
            target=run_worker, args=(*arguments, runs_scheduler), name="moisson-http"
        )
        process.start()
        return process

    processes = [start(position) for position in range(workers)]
    try:
        while not stopping:
            time.sleep(0.2)
            for position, process in enumerate(processes):
                if process.is_alive() or stopping:
                    continue
                log.warning("http worker exited, restarting", exitcode=process.exitcode)
                time.sleep(RESTART_PAUSE)
                if not stopping:
                    processes[position] = start(position)
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes the requests in flight
        deadline = time.monotonic() + STOP_GRACE
        for process in processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
