"""Asynchronous imports: import runs queued for the worker, claimed, run, cancelled.

``POST /imports`` with ``Prefer: respond-async`` spools the upload to a file and
queues the run (``queue_import``); a worker claims it (``claim_job``) and runs it
(``run_job``). How the work stays whole with several workers and with workers
that die:

- Claiming is one short transaction: on PostgreSQL ``FOR UPDATE SKIP LOCKED``,
  so two workers never take the same job; on SQLite every write transaction
  takes the database's one write lock, so claims are serialised anyway. The
  claim sets ``worker_id`` and a lease (``WORKER_LEASE_SECONDS``).
- The data and the job's outcome are written in one transaction: the import runs
  in a savepoint, which is rolled back when the report refuses it, and the
  outcome is written after it, under a check that the job is still this
  worker's. A worker that dies (SIGKILL) never committed anything: its lease
  lapses and another worker takes the job up again from the start. There is no
  moment where the data is committed and the job still looks unfinished, so a
  job never runs to completion twice.
- While it runs, the worker renews its lease at least every third of it, from a
  connection of its own (PostgreSQL; SQLite's write lock is the import's
  until it ends, and no other worker can claim anything meanwhile), and writes
  its progress next to the spooled upload. Between batches it checks for a
  cancellation (a marker file that ``DELETE /imports/{id}`` leaves next to the
  upload, since on SQLite the database cannot be written while the import holds
  it) and for a shutdown (SIGTERM): either rolls the whole import back; a
  cancelled job ends ``cancelled``, a stopped one goes back to ``queued``.

The spool folder is shared by whoever accepts uploads and whoever runs them
(``IMPORT_SPOOL_DIR``, the instance folder's ``imports/`` by default).
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
from flask import current_app
from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from claims_api.errors import Conflict
from claims_api.extensions import db, read_only, writing
from claims_api.models import ImportRun
from claims_api.models.base import utcnow
from claims_api.models.vocabulary import Role
from claims_api.services.imports import ImportReport, import_stream
from claims_api.services.imports.progress import counting
from claims_api.services.imports.runs import (
    CANCELLED,
    FAILED,
    QUEUED,
    RUNNING,
    SUCCEEDED,
    TRANSIENT,
    ImportRequest,
    begin_run,
    finish_run,
    get_run,
    is_acceptable,
    record_finished,
)
from claims_api.services.revisions import Change

log = logging.getLogger(__name__)

# How often a running job's progress file is rewritten, at most.
PROGRESS_EVERY_SECONDS = 1.0


class ImportNotCancellable(Conflict):
    """The import cannot be cancelled: it has finished, or it runs inside a request."""

    slug = "import-not-cancellable"
    about = (
        "Only a queued or running asynchronous import can be cancelled; this one has "
        "finished (`import_status`) or runs inside its own request."
    )


class JobStopped(Exception):
    """Raised at a checkpoint: the import is rolled back and the job left as ``outcome``
    says (cancelled, back to queued, or to whoever holds it now)."""

    CANCELLED, RELEASED, LOST = "cancelled", "released", "lost"

    def __init__(self, outcome: str) -> None:
        super().__init__(outcome)
        self.outcome = outcome


def spool_dir() -> Path:
    """The folder where uploads wait for the worker; made on first use."""
    configured = current_app.config.get("IMPORT_SPOOL_DIR")
    folder = Path(configured) if configured else Path(current_app.instance_path) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _sidecar(spool_path: str, kind: str) -> Path:
    return Path(f"{spool_path}.{kind}")


def remove_spool(spool_path: str | None) -> None:
    """Delete an upload and its progress and cancellation files, if they are there."""
    if spool_path is None:
        return
    for kind in ("progress", "cancel"):
        _sidecar(spool_path, kind).unlink(missing_ok=True)
    Path(spool_path).unlink(missing_ok=True)


def queue_import(spool_path: Path, size: int, request: ImportRequest) -> tuple[ImportRun, bool]:
    """Queue the upload at ``spool_path`` as a job; commits. The run, and whether it
    is an earlier one (same Idempotency-Key) that the caller points at instead,
    in which case the upload is deleted."""
    stale_after = timedelta(seconds=current_app.config["IMPORT_STALE_SECONDS"])
    try:
        run, replayed = begin_run(request, stale_after=stale_after, status=QUEUED)
        if not replayed:
            run.spool_path, run.bytes_total = str(spool_path), size
            db.session.flush()
        db.session.commit()
    except BaseException:
        db.session.rollback()
        spool_path.unlink(missing_ok=True)
        raise
    if replayed:
        spool_path.unlink(missing_ok=True)
    return run, replayed


@dataclass(frozen=True)
class Progress:
    bytes_read: int
    bytes_total: int | None
    records: int


def progress(run: ImportRun) -> Progress | None:
    """How far an asynchronous import has gone (None for one run inside a request)."""
    if run.spool_path is None and run.bytes_total is None:
        return None
    if run.status in (SUCCEEDED, FAILED):
        return Progress(run.bytes_total or 0, run.bytes_total, int(run.counts.get("records", 0)))
    if run.status == RUNNING and run.spool_path is not None:
        try:
            seen = json.loads(_sidecar(run.spool_path, "progress").read_text())
            return Progress(int(seen["bytes_read"]), run.bytes_total, int(seen["records"]))
        except (OSError, ValueError, KeyError, TypeError):
            pass
    return Progress(0, run.bytes_total, 0)


def cancel_job(run_id: int) -> ImportRun:
    """Cancel a queued job at once (commits), or ask a running one to stop at its next
    batch boundary; 409 for anything else. The run, as it now stands.

    The status is read first without a write lock: on SQLite a running import holds
    the database's, and asking it to stop must not wait for it to end.
    """
    with read_only():
        db.session.rollback()
        run = get_run(run_id)
        status = run.status
        db.session.rollback()
    if status == QUEUED:
        with writing():
            locked = db.session.scalars(
                select(ImportRun)
                .where(ImportRun.id == run_id)
                .with_for_update()
                .execution_options(populate_existing=True)
            ).one()
            if locked.status == QUEUED:
                locked.status, locked.finished_at = CANCELLED, utcnow()
                record_finished(locked, previous_status=QUEUED)
                spool_path = locked.spool_path
                db.session.commit()
                remove_spool(spool_path)
                return locked
            run, status = locked, locked.status
            db.session.rollback()
    if status == RUNNING and run.spool_path is not None:
        _sidecar(run.spool_path, "cancel").touch()
        return run
    raise ImportNotCancellable(
        f"Import {run_id} runs inside its own request and cannot be cancelled."
        if status == RUNNING
        else f"Import {run_id} has finished ({status}); only a queued or running "
        "asynchronous import can be cancelled.",
        import_id=run_id,
        import_status=status,
    )


def _claimable(now: Any) -> ColumnElement[bool]:
    """Queued jobs, and running ones whose worker let its lease lapse (it died)."""
    return or_(
        ImportRun.status == QUEUED,
        and_(ImportRun.status == RUNNING, ImportRun.lease_until < now),
    )


def claim_job(worker_id: str) -> ImportRun | None:
    """Take the oldest claimable job for ``worker_id``, with a fresh lease; commits."""
    now = utcnow()
    # A read first, which takes no lock: an idle worker must not take SQLite's write
    # lock every time it looks.
    with read_only():
        waiting = db.session.scalar(select(ImportRun.id).where(_claimable(now)).limit(1))
        db.session.rollback()
    if waiting is None:
        return None
    run = db.session.scalars(
        select(ImportRun)
        .where(_claimable(now))
        .order_by(ImportRun.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).first()
    if run is None:
        db.session.rollback()
        return None
    run.status, run.worker_id = RUNNING, worker_id
    run.lease_until = now + _lease()
    run.started_at, run.attempts = now, run.attempts + 1
    db.session.commit()
    return run


def _lease() -> timedelta:
    return timedelta(seconds=current_app.config["WORKER_LEASE_SECONDS"])


class _Checkpoint:
    """What a running job does as it reads and between batches: progress, lease,
    cancellation and shutdown (see the module's docstring)."""

    def __init__(
        self, run: ImportRun, worker_id: str, stopping: Callable[[], bool], report: ImportReport
    ) -> None:
        assert run.spool_path is not None
        self.run_id, self.worker_id, self.spool_path = run.id, worker_id, run.spool_path
        self.stopping, self.report = stopping, report
        self.bytes_read = 0
        self.lost = False
        self.renew_every = _lease().total_seconds() / 3
        self.renewed = self.written = time.monotonic()
        self.renews = db.session.get_bind().dialect.name != "sqlite"

    def read(self, count: int) -> None:
        """Called for every read of the upload: never raises (readers report what
        they catch), only notes a lost lease for the next batch boundary."""
        self.bytes_read += count
        self._beat()

    def between_batches(self) -> None:
        self._beat(force=True)
        if self.lost:
            raise JobStopped(JobStopped.LOST)
        if _sidecar(self.spool_path, "cancel").exists():
            raise JobStopped(JobStopped.CANCELLED)
        if self.stopping():
            raise JobStopped(JobStopped.RELEASED)

    def _beat(self, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self.written >= PROGRESS_EVERY_SECONDS:
            self.written = now
            self._write_progress()
        if self.renews and now - self.renewed >= self.renew_every:
            self.renewed = now
            self.lost = self.lost or not self._renew()

    def _write_progress(self) -> None:
        path = _sidecar(self.spool_path, "progress")
        partial = path.with_name(path.name + ".part")
        seen = {"bytes_read": self.bytes_read, "records": self.report.counts["records"]}
        try:
            partial.write_text(json.dumps(seen))
            os.replace(partial, path)
        except OSError:
            log.warning("import %s: could not write its progress", self.run_id, exc_info=True)

    def _renew(self) -> bool:
        """Extend the lease, committed at once from a connection of its own; False
        when the job is no longer this worker's."""
        try:
            with db.engine.begin() as connection:
                result = connection.execute(
                    update(ImportRun)
                    .where(*_held_by(self.run_id, self.worker_id))
                    .values(lease_until=utcnow() + _lease())
                )
        except SQLAlchemyError:
            log.warning("import %s: could not renew its lease", self.run_id, exc_info=True)
            return True  # a database hiccup: the fence at the end decides
        return bool(result.rowcount)


def _held_by(run_id: int, worker_id: str) -> tuple[ColumnElement[bool], ...]:
    return (ImportRun.id == run_id, ImportRun.worker_id == worker_id, ImportRun.status == RUNNING)


class _Discard(Exception):
    """Leaves the import's savepoint: the report refuses the writes, or a dry run."""


def run_job(run: ImportRun, worker_id: str, stopping: Callable[[], bool]) -> str:
    """Run a claimed job to its end; what became of it (succeeded, failed, cancelled,
    released, lost). Never raises for the job's own faults: they fail the job."""
    if run.spool_path is not None and _sidecar(run.spool_path, "cancel").exists():
        return _leave(run, worker_id, CANCELLED)
    if run.attempts > current_app.config["WORKER_MAX_ATTEMPTS"]:
        report = ImportReport(run.source_name)
        report.add_error(
            "/", f"the import was taken up {run.attempts - 1} times and never finished"
        )
        return _finish(run, worker_id, report, acceptable=False)
    request = ImportRequest(
        source_name=run.source_name,
        input_format=run.input_format or "jsonl",
        actor=run.actor,
        role=Role(run.role or Role.CONTRIBUTOR.value),
        partial=run.partial,
        dry_run=run.dry_run,
    )
    report = ImportReport(request.source_name)
    change = Change(request.actor, f"import {request.source_name} (import {run.id})")
    checkpoint = _Checkpoint(run, worker_id, stopping, report)
    acceptable = False
    try:
        with open(str(run.spool_path), "rb") as raw, db.session.begin_nested():
            stream = counting(raw, checkpoint.read)
            import_stream(
                stream,
                request.input_format,
                report,
                change,
                role=request.role,
                on_batch=checkpoint.between_batches,
            )
            acceptable = is_acceptable(report, partial=request.partial)
            if request.dry_run or not acceptable:
                raise _Discard
    except _Discard:
        if not request.dry_run:
            report.discard_writes()
    except JobStopped as stop:
        db.session.rollback()
        if stop.outcome == JobStopped.LOST:
            return stop.outcome
        return _leave(run, worker_id, CANCELLED if stop.outcome == JobStopped.CANCELLED else QUEUED)
    except TRANSIENT:
        # The database stopped it (a deadlock, a lost connection): nothing was
        # written and it may well succeed later.
        db.session.rollback()
        log.warning("import %s: stopped by the database; queued again", run.id, exc_info=True)
        return _leave(run, worker_id, QUEUED)
    except (SQLAlchemyError, psycopg.Error, OSError) as error:
        db.session.rollback()
        report.discard_writes()
        report.add_error("/", _stopped(error))
        acceptable = False
    except Exception:
        db.session.rollback()
        log.exception("import %s: internal error", run.id)
        report.discard_writes()
        report.add_error("/", "the import stopped on an internal error")
        acceptable = False
    return _finish(run, worker_id, report, acceptable)


def _stopped(error: Exception) -> str:
    if isinstance(error, OSError):
        return f"the import stopped: the input could not be read ({error.strerror or error})"
    return f"the import stopped: the database refused it ({type(error).__name__})"


def _still_held(run_id: int, worker_id: str) -> ImportRun | None:
    """The job, locked in the current transaction, if it is still this worker's."""
    return db.session.scalars(
        select(ImportRun)
        .where(*_held_by(run_id, worker_id))
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()


def _finish(run: ImportRun, worker_id: str, report: ImportReport, acceptable: bool) -> str:
    """Record the outcome in the transaction holding the data; commits both, unless the
    job was taken over meanwhile, when nothing is."""
    held = _still_held(run.id, worker_id)
    if held is None:
        db.session.rollback()
        return JobStopped.LOST
    finished = finish_run(run.id, report, acceptable)
    finished.lease_until = None
    db.session.commit()
    remove_spool(finished.spool_path)
    return finished.status


def _leave(run: ImportRun, worker_id: str, status: str) -> str:
    """Hand the job back (queued) or end it cancelled, if it is still this worker's."""
    held = _still_held(run.id, worker_id)
    if held is None:
        db.session.rollback()
        return JobStopped.LOST
    held.status, held.lease_until, held.worker_id = status, None, None
    if status == CANCELLED:
        held.finished_at = utcnow()
        record_finished(held, previous_status=RUNNING)
    spool_path = held.spool_path
    db.session.commit()
    if status == CANCELLED:
        remove_spool(spool_path)
        return CANCELLED
    return JobStopped.RELEASED


def run_next(worker_id: str, stopping: Callable[[], bool]) -> int:
    """The worker's ``imports`` task: claim one job and run it; how many were run."""
    run = claim_job(worker_id)
    if run is None:
        return 0
    outcome = run_job(run, worker_id, stopping)
    log.info("import %s: %s (worker %s)", run.id, outcome, worker_id)
    return 1
