"""The import unit of work: one input read, written and recorded as an import run.

``POST /imports`` and ``claims-api import`` (and ``seed``) both call
``run_import``: it owns the transactions of an import (unlike other services,
which flush and leave the commit to the request), since an import needs three:
the run recorded as running (so a retry with its Idempotency-Key sees it), the
data (committed when the report allows it, rolled back otherwise), and the
outcome. Adapters only read options and show the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import IO

import psycopg
from sqlalchemy import select
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from claims_api.errors import Conflict, DomainError, InvalidInput, NotFound
from claims_api.extensions import db
from claims_api.models import ImportRun
from claims_api.models.base import utcnow
from claims_api.models.vocabulary import EventType, Role
from claims_api.services.events import record_event
from claims_api.services.imports import ImportReport, import_stream
from claims_api.services.revisions import Change

RUNNING, SUCCEEDED, FAILED = "running", "succeeded", "failed"
# An asynchronous import waiting for a worker, and one stopped by DELETE (see ``jobs``).
QUEUED, CANCELLED = "queued", "cancelled"
FINISHED = frozenset({SUCCEEDED, FAILED, CANCELLED})
# Stopped by the database (a deadlock, a serialisation failure, a busy lock, a
# lost connection): nothing was written and the same request may well succeed,
# so a retry with the key runs it again instead of replaying the failure.
INTERRUPTED = "interrupted"
# The database errors that stop a run as interrupted: through SQLAlchemy, or raw
# from psycopg's COPY (a connection lost mid-batch, a deadlock).
TRANSIENT = (OperationalError, psycopg.OperationalError)


@dataclass(frozen=True)
class ImportRequest:
    """One input to import, and how: what an adapter reads from its own options."""

    source_name: str
    input_format: str
    actor: str
    # Decides which statuses and ratings of the input are written (claims.gate_verdict).
    role: Role
    partial: bool = False
    dry_run: bool = False
    # The revisions' reason: "<verb> <label> (import <id>)"; label defaults to source_name.
    verb: str = "import"
    label: str | None = None
    idempotency_key: str | None = None
    request_sha256: str = ""


@dataclass(frozen=True)
class ImportOutcome:
    """The recorded run, and the report behind it (None when the run was replayed)."""

    run: ImportRun
    report: ImportReport | None

    @property
    def replayed(self) -> bool:
        return self.report is None

    @property
    def written(self) -> bool:
        return self.run.status == SUCCEEDED and not self.run.dry_run


class ImportInterrupted(DomainError):
    """The database stopped the import: nothing was written, and a retry may succeed."""

    status, title, slug = 503, "Service unavailable", "import-interrupted"
    about = (
        "The database stopped the import (a deadlock, a lost connection): nothing was "
        "written; retry after Retry-After with the same Idempotency-Key."
    )


def run_import(
    stream: IO[bytes], request: ImportRequest, *, stale_after: timedelta
) -> ImportOutcome:
    """Import ``stream`` in one transaction and record the run; commits.

    The data is committed when the report is acceptable (``is_acceptable``) and
    rolled back otherwise, so a file imports whole or not at all (unless
    ``partial``); a dry run never writes, and succeeds where the import would.
    A database error stops the run as ``interrupted`` (a retry may succeed), a
    read error as ``failed``; either way the report says why. Any other
    exception is a fault: the run is recorded as failed, so its key does not
    stay "running", and it propagates.
    """
    run, replay = begin_run(request, stale_after=stale_after)
    db.session.commit()  # others retrying with the key now see it running
    if replay:
        return ImportOutcome(run, None)
    report = ImportReport(request.source_name)
    label = request.label or request.source_name
    change = Change(request.actor, f"{request.verb} {label} (import {run.id})")
    transient = False
    try:
        import_stream(stream, request.input_format, report, change, role=request.role)
    except (SQLAlchemyError, psycopg.Error, OSError) as error:
        db.session.rollback()
        transient = isinstance(error, TRANSIENT)
        report.add_error("/", _stopped(error))
    except Exception:
        db.session.rollback()
        report.add_error("/", "the import stopped on an internal error")
        finish_run(run.id, report, acceptable=False)
        db.session.commit()
        raise
    acceptable = not transient and is_acceptable(report, partial=request.partial)
    if acceptable and not request.dry_run:
        db.session.commit()
    else:
        db.session.rollback()
        if not request.dry_run:
            report.discard_writes()
    run = finish_run(run.id, report, acceptable, transient=transient)
    db.session.commit()
    return ImportOutcome(run, report)


def is_acceptable(report: ImportReport, *, partial: bool) -> bool:
    """Whether an import's writes are kept (a dry run's would be): with no error; or,
    when ``partial``, if any record was accepted (an input with nothing valid failed)."""
    return report.error_count == 0 or (partial and report.accepted > 0)


def _stopped(error: SQLAlchemyError | psycopg.Error | OSError) -> str:
    if isinstance(error, TRANSIENT):
        return "the import stopped: the database is busy or unavailable; nothing was written"
    if isinstance(error, OSError):
        return f"the import stopped: the input could not be read ({error.strerror or error})"
    return f"the import stopped: the database refused it ({type(error).__name__})"


def interruption(outcome: ImportOutcome) -> ImportInterrupted | None:
    """The 503 for a run the database stopped (None for any other outcome)."""
    if outcome.run.status != INTERRUPTED or outcome.replayed:
        return None
    return ImportInterrupted(
        "The database stopped the import; nothing was written. "
        "Retry, with the same Idempotency-Key if one was sent.",
        headers={"Retry-After": "1"},
        import_id=outcome.run.id,
    )


def begin_run(
    request: ImportRequest, *, stale_after: timedelta, status: str = RUNNING
) -> tuple[ImportRun, bool]:
    """The run for this request, recorded as ``status`` (running, or queued for the
    worker), and whether it is an earlier one to replay.

    A retry with the same key and body replays the first result; the same key
    with another body is refused (422); while the first is still queued or
    running, a synchronous retry waits its turn (409) and an asynchronous one is
    pointed at it. A run left "running" longer than ``stale_after`` by a request
    died with its process, and an interrupted one stopped on a transient
    database error: both may be run again.
    """
    run = None
    if request.idempotency_key is not None:
        run = db.session.scalars(
            select(ImportRun)
            .where(ImportRun.idempotency_key == request.idempotency_key)
            .with_for_update()
        ).one_or_none()
    if run is not None:
        if run.request_sha256 != request.request_sha256:
            raise InvalidInput(
                "This Idempotency-Key was used with a different request body.",
                errors={"Idempotency-Key": ["already used for another body"]},
                import_id=run.id,
            )
        if run.status in FINISHED:
            return run, True
        in_hand = run.status == RUNNING and (
            run.lease_until is not None or utcnow() - run.created_at < stale_after
        )
        if run.status == QUEUED or in_hand:
            if status == QUEUED:
                return run, True
            raise Conflict(
                "An import with this Idempotency-Key is still running; retry later.",
                import_id=run.id,
            )
    else:
        run = ImportRun(
            idempotency_key=request.idempotency_key, request_sha256=request.request_sha256
        )
        db.session.add(run)
    run.status, run.actor, run.source_name = status, request.actor, request.source_name
    run.input_format, run.role = request.input_format, request.role.value
    run.spool_path = run.bytes_total = run.worker_id = run.lease_until = run.started_at = None
    run.attempts = 0
    run.dry_run, run.partial = request.dry_run, request.partial
    run.created_at, run.finished_at = utcnow(), None
    run.counts, run.errors, run.error_count = {}, [], 0
    run.warnings, run.warning_count = [], 0
    db.session.flush()
    return run, False


def finish_run(
    run_id: int, report: ImportReport, acceptable: bool, *, transient: bool = False
) -> ImportRun:
    """Record the outcome; ``transient`` when the database stopped the run (see INTERRUPTED)."""
    run = get_run(run_id)
    if transient:
        run.status = INTERRUPTED
    else:
        run.status = SUCCEEDED if acceptable else FAILED
    run.counts = dict(report.counts)
    run.errors, run.error_count = report.errors, report.error_count
    run.warnings, run.warning_count = report.warnings, report.warning_count
    run.finished_at = utcnow()
    db.session.flush()
    record_finished(run, previous_status=RUNNING)
    return run


# What an import.finished event leaves out: the lists (up to a thousand entries each),
# which GET /imports/{id} serves, and what only a running import has.
_EVENT_LEAVES_OUT = ("errors", "warnings", "problem", "progress")


def record_finished(run: ImportRun, *, previous_status: str) -> None:
    """The import.finished event of a run that has just ended, in its transaction."""
    from claims_api.schemas.transfers import ImportRunSchema

    reads = ImportRunSchema(exclude=_EVENT_LEAVES_OUT).dump(run)
    changes = {"status": {"old": previous_status, "new": run.status}}
    record_event(
        EventType.IMPORT_FINISHED,
        {"import": reads, "changes": changes},
        run.actor,
        run.finished_at or utcnow(),
    )


def get_run(run_id: int) -> ImportRun:
    run = db.session.get(ImportRun, run_id)
    if run is None:
        raise NotFound(f"There is no import {run_id}.")
    return run
