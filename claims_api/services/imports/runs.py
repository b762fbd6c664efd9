"""Import runs submitted over the API, and their Idempotency-Key rules."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from claims_api.errors import Conflict, InvalidInput, NotFound
from claims_api.extensions import db
from claims_api.models import ImportRun
from claims_api.models.base import utcnow
from claims_api.services.imports import ImportReport

RUNNING, SUCCEEDED, FAILED = "running", "succeeded", "failed"
# Stopped by the database (a deadlock, a serialisation failure, a busy lock):
# nothing was written and the same request may well succeed, so a retry with
# the key runs it again instead of replaying the failure.
INTERRUPTED = "interrupted"


def begin_run(
    *,
    idempotency_key: str | None,
    request_sha256: str,
    actor: str,
    source_name: str,
    dry_run: bool,
    partial: bool,
    stale_after: timedelta,
) -> tuple[ImportRun, bool]:
    """The run for this request, and whether it is a finished one to replay.

    A retry with the same key and body replays the first result; the same key
    with another body is refused (422); while the first is still running, a
    retry waits its turn (409). A run left "running" longer than
    ``stale_after`` died with its process, and an interrupted one stopped on a
    transient database error: both may be run again.
    """
    run = None
    if idempotency_key is not None:
        run = db.session.scalars(
            select(ImportRun).where(ImportRun.idempotency_key == idempotency_key).with_for_update()
        ).one_or_none()
    if run is not None:
        if run.request_sha256 != request_sha256:
            raise InvalidInput(
                "This Idempotency-Key was used with a different request body.",
                errors={"Idempotency-Key": ["already used for another body"]},
                import_id=run.id,
            )
        if run.status in (SUCCEEDED, FAILED):
            return run, True
        if run.status == RUNNING and utcnow() - run.created_at < stale_after:
            raise Conflict(
                "An import with this Idempotency-Key is still running; retry later.",
                import_id=run.id,
            )
    else:
        run = ImportRun(idempotency_key=idempotency_key, request_sha256=request_sha256)
        db.session.add(run)
    run.status, run.actor, run.source_name = RUNNING, actor, source_name
    run.dry_run, run.partial, run.created_at, run.finished_at = dry_run, partial, utcnow(), None
    run.counts, run.errors, run.error_count = {}, [], 0
    db.session.flush()
    return run, False


def finish_run(
    run_id: int, report: ImportReport, written: bool, *, transient: bool = False
) -> ImportRun:
    """Record the outcome; ``transient`` when the database stopped the run (see INTERRUPTED)."""
    run = get_run(run_id)
    if transient:
        run.status = INTERRUPTED
    elif written or (run.dry_run and report.error_count == 0):
        run.status = SUCCEEDED
    else:
        run.status = FAILED
    run.counts = dict(report.counts) | {"warnings": report.warning_count}
    run.errors = report.errors
    run.error_count = report.error_count
    run.finished_at = utcnow()
    db.session.flush()
    return run


def get_run(run_id: int) -> ImportRun:
    run = db.session.get(ImportRun, run_id)
    if run is None:
        raise NotFound(f"There is no import {run_id}.")
    return run
