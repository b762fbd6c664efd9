"""The worker: long jobs and periodic upkeep, outside the requests.

A task is one bounded pass of some work (run one queued import, prune old events)
that returns how much it did, 0 when there was nothing to do. The worker runs its
tasks round-robin, each in its own app context, and sleeps briefly when a whole
round found nothing. A task's fault is logged and counts as idle: the worker
never dies of it. On SIGTERM (``stop``) the job in hand stops at its next batch
boundary, is rolled back and goes back to the queue (see
``services.imports.jobs``), and the worker exits.

New work is one line in ``TASKS``.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask
from sqlalchemy.exc import OperationalError

from claims_api.errors import is_busy
from claims_api.extensions import db

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Shift:
    """Who is working, and whether they have been asked to stop."""

    worker_id: str
    stop: threading.Event

    def stopping(self) -> bool:
        return self.stop.is_set()


@dataclass(frozen=True)
class Task:
    """One bounded pass of work, run in an app context, returning how much it did;
    ``every`` spaces its passes (seconds), for upkeep that is not due each round."""

    run: Callable[[Shift], int]
    every: float = 0.0


def _imports(shift: Shift) -> int:
    from claims_api.services.imports import jobs

    return jobs.run_next(shift.worker_id, shift.stopping)


def _prune_events(shift: Shift) -> int:
    from claims_api.services import events

    pruned = events.prune()
    db.session.commit()
    return pruned


def _webhooks(shift: Shift) -> int:
    from claims_api.services.webhook_delivery import deliver_due

    return deliver_due()


def _matching(shift: Shift) -> int:
    from claims_api.services.pending_matches import match_pending

    matched = match_pending()
    db.session.commit()
    return matched


TASKS: dict[str, Task] = {
    "imports": Task(_imports),
    "matching": Task(_matching),
    "webhooks": Task(_webhooks),
    "prune-events": Task(_prune_events, every=3600.0),
}


def worker_id() -> str:
    """host:pid:random, unique among the workers sharing a database."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[:200]


class Worker:
    """Runs the named tasks round-robin until ``stop`` is set (or, ``once``, until idle)."""

    def __init__(
        self, app: Flask, task_names: list[str], *, stop: threading.Event | None = None
    ) -> None:
        unknown = [name for name in task_names if name not in TASKS]
        if unknown:
            raise ValueError(f"no such task: {', '.join(unknown)} (tasks: {', '.join(TASKS)})")
        self.app = app
        self.tasks = {name: TASKS[name] for name in task_names}
        self.shift = Shift(worker_id(), stop or threading.Event())
        self._last_run: dict[str, float] = {}

    @property
    def stop(self) -> threading.Event:
        return self.shift.stop

    def run(self, *, once: bool = False) -> None:
        log.info("worker %s: running %s", self.shift.worker_id, ", ".join(self.tasks))
        idle_seconds = float(self.app.config["WORKER_IDLE_SECONDS"])
        while not self.stop.is_set():
            done = self.run_round()
            if done == 0:
                if once:
                    break
                self.stop.wait(idle_seconds)
        log.info("worker %s: stopped", self.shift.worker_id)

    def run_round(self) -> int:
        """One pass of every task that is due; how much they did in all."""
        done = 0
        for name, task in self.tasks.items():
            if self.stop.is_set():
                break
            now = time.monotonic()
            last = self._last_run.get(name)
            if last is not None and now - last < task.every:
                continue
            self._last_run[name] = now
            done += self._run_task(name, task)
        return done

    def _run_task(self, name: str, task: Task) -> int:
        with self.app.app_context():
            try:
                return task.run(self.shift)
            except Exception as error:
                db.session.rollback()
                if isinstance(error, OperationalError) and is_busy(error):
                    # SQLite's write lock, held by an import elsewhere: next round.
                    log.info("worker %s: task %s: database busy", self.shift.worker_id, name)
                else:
                    log.exception("worker %s: task %s failed", self.shift.worker_id, name)
                return 0
            finally:
                db.session.remove()


def embedded_worker_wanted(app: Flask) -> bool:
    """CLAIMS_EMBEDDED_WORKER, or when unset: on for SQLite, off for PostgreSQL."""
    setting = app.config.get("EMBEDDED_WORKER")
    if setting is None:
        return str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("sqlite")
    return bool(setting)


class EmbeddedWorker:
    """``claims-api worker`` as a child of ``serve``: started once per server, by the
    process that outlives gunicorn's workers (its arbiter), and stopped with it.

    A process rather than a thread of the arbiter: gunicorn forks its workers from
    the arbiter, and a fork taken while a thread holds an open database connection
    hands the child a copy of it (libpq's, or SQLite's) that it must not touch,
    even to close. The child also stops by itself if ``serve`` dies without telling.
    """

    STOP_SECONDS = 30.0

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        if self.process is not None:
            return
        command = [sys.executable, "-c", "from claims_api.cli import main; main()"]
        self.process = subprocess.Popen([*command, "worker", "--exit-with-parent"])
        log.info("embedded worker started (pid %s)", self.process.pid)

    def stop(self) -> None:
        """SIGTERM, and the time to roll back and release the job in hand."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(self.STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
