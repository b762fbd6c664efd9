"""Bulk import of article documents and schema.org ClaimReview.

A file is read as a stream of records; each is validated and turned into an
article document; documents are written in batches with set-based inserts
(see ``bulk``). Every batch is written, even after an error, so that the
report names every problem of the file and counts what the whole file does;
the unit of work (``runs.run_import``) then commits a file whose report is
acceptable and rolls back otherwise, so a file imports whole or not at all
(unless ``partial``), and an interrupted import leaves nothing behind.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

import msgspec
import psycopg
from sqlalchemy.exc import DataError, IntegrityError

from claims_api.errors import DomainError, InvalidInput
from claims_api.extensions import db
from claims_api.models.vocabulary import Role
from claims_api.services.claimreview import ClaimReviewError, document_from_claimreview
from claims_api.services.imports.bulk import (
    BATCH_CLAIMS,
    PendingDocument,
    PendingRecord,
    write_batch,
)
from claims_api.services.imports.decoding import (
    decode_document,
    decode_entity,
    decode_relation,
    decode_source,
)
from claims_api.services.imports.readers import ReadError, Record, first_line, read_records
from claims_api.services.revisions import Change

# Problems kept in a report, each of errors and warnings; error_count and
# warning_count count them all.
MAX_REPORTED = 1000
# The counts of records that were accepted, whatever they changed.
ACCEPTED = (
    "articles_created",
    "articles_updated",
    "articles_unchanged",
    "claims_created",
    "claims_updated",
    "claims_unchanged",
    "claims_deleted_left_alone",
)


@dataclass(frozen=True)
class ReportCheckpoint:
    counts: Counter[str]
    errors: int
    error_count: int
    warnings: int
    warning_count: int


@dataclass
class ImportReport:
    """What an import did (or, in a dry run, would do) to one input, and what was wrong."""

    source_name: str
    counts: Counter[str] = field(default_factory=Counter)
    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    error_count: int = 0
    warning_count: int = 0

    def add_error(self, location: str, reason: str, field_name: str | None = None) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED:
            self.errors.append(self._problem(location, reason, field_name))

    def add_warning(self, location: str, reason: str) -> None:
        self.warning_count += 1
        if len(self.warnings) < MAX_REPORTED:
            self.warnings.append(self._problem(location, reason, None))

    def add_domain_error(self, location: str, error: DomainError) -> None:
        if not error.errors:
            self.add_error(location, error.detail)
            return
        for name, texts in error.errors.items():
            self.add_error(location, " ".join(texts), name)

    def _problem(self, location: str, reason: str, field_name: str | None) -> dict[str, Any]:
        problem = {"file": self.source_name, "location": location, "reason": reason}
        if field_name:
            problem["field"] = field_name
        return problem

    @property
    def accepted(self) -> int:
        """How many articles and claims were accepted: written, or found unchanged."""
        return sum(self.counts[name] for name in ACCEPTED)

    def checkpoint(self) -> ReportCheckpoint:
        return ReportCheckpoint(
            self.counts.copy(),
            len(self.errors),
            self.error_count,
            len(self.warnings),
            self.warning_count,
        )

    def restore(self, checkpoint: ReportCheckpoint) -> None:
        """Back to ``checkpoint``: what a batch rolled back to its savepoint reported goes."""
        self.counts = checkpoint.counts.copy()
        del self.errors[checkpoint.errors :]
        del self.warnings[checkpoint.warnings :]
        self.error_count, self.warning_count = checkpoint.error_count, checkpoint.warning_count

    def discard_writes(self) -> None:
        """After a rollback: nothing was created or updated, whatever was counted."""
        self.counts = Counter({"records": self.counts["records"]})

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.source_name,
            "counts": dict(sorted(self.counts.items())),
            "error_count": self.error_count,
            "errors": self.errors,
            "warning_count": self.warning_count,
            "warnings": self.warnings,
        }


def _json_kind(value: Any) -> str:
    """What a JSON value is, as a reason names it: ``false``, ``null``, "a number"."""
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, int | float):
        return "a number"
    return "a string" if isinstance(value, str) else "an array"


# The records beside article documents, by the one key each has: {"source": {...}}.
RECORD_DECODERS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "entity": decode_entity,
    "source": decode_source,
    "relation": decode_relation,
}


def _document(record: Record, report: ImportReport) -> PendingDocument | PendingRecord | None:
    """The validated article document (or source record) a record stands for, or None
    after reporting why not."""
    data = record.data
    if isinstance(data, bytes):
        try:
            return PendingDocument(record.location, decode_document(data))
        except InvalidInput as error:
            # Not an article document: it may still be a source record or a ClaimReview.
            try:
                data = msgspec.json.decode(data)
            except (msgspec.DecodeError, RecursionError):
                report.add_domain_error(record.location, error)
                return None
            if isinstance(data, dict) and "article" in data:
                report.add_domain_error(record.location, error)
                return None
    if not isinstance(data, dict):
        report.add_error(
            record.location,
            "expected an article document or a ClaimReview (a JSON object), "
            f"not {_json_kind(data)}",
        )
        return None
    kind = next((name for name in RECORD_DECODERS if name in data), None)
    if kind is not None and not {"article", "@type"} & set(data):
        try:
            return PendingRecord(record.location, kind, RECORD_DECODERS[kind](data))
        except InvalidInput as error:
            report.add_domain_error(record.location, error)
            return None
    describes_article = "article" in data
    if not describes_article:
        try:
            data, warnings = document_from_claimreview(data)
        except ClaimReviewError as error:
            report.add_error(record.location, str(error), error.field)
            return None
        for warning in warnings:
            report.add_warning(record.location, warning)
    try:
        return PendingDocument(record.location, decode_document(data), describes_article)
    except InvalidInput as error:
        report.add_domain_error(record.location, error)
        return None


def import_stream(
    stream: IO[bytes],
    input_format: str,
    report: ImportReport,
    change: Change,
    *,
    role: Role,
    on_batch: Callable[[], None] | None = None,
) -> ImportReport:
    """Validate and write every record of ``stream``; count and report into ``report``.

    ``role`` is the importer's: it decides which statuses and ratings of the input
    are written (see ``claims.gate_verdict``). Batches are written whatever was
    found before them: whether to keep the writes is the unit of work's to decide.
    ``on_batch`` is called after each batch is written: the worker's checkpoint,
    where it renews its lease and may stop the import (by raising).
    """
    pending: list[PendingDocument | PendingRecord] = []
    pending_claims = 0
    for record in read_records(stream, input_format):
        report.counts["records"] += 1
        if isinstance(record, ReadError):
            report.add_error(record.location, record.reason)
            continue
        document = _document(record, report)
        if document is None:
            continue
        pending.append(document)
        if isinstance(document, PendingDocument):
            pending_claims += len(document.document["claims"])
        if pending_claims >= BATCH_CLAIMS:
            _write(pending, report, change, role)
            pending, pending_claims = [], 0
            if on_batch is not None:
                on_batch()
    _write(pending, report, change, role)
    if on_batch is not None:
        on_batch()
    if report.counts["records"] == 0:
        report.add_error("/", "the input holds no records")
    return report


# What the database says of a value it cannot store (through SQLAlchemy, or from
# COPY on the driver's own cursor): a fault of the records, not of the database.
REFUSED = (IntegrityError, DataError, psycopg.IntegrityError, psycopg.DataError)


def _write(
    pending: list[PendingDocument | PendingRecord],
    report: ImportReport,
    change: Change,
    role: Role,
) -> None:
    """Write a batch in a savepoint. When the database refuses it, each half again,
    down to the documents at fault, which are reported; the others still count."""
    if not pending:
        return
    checkpoint = report.checkpoint()
    try:
        with db.session.begin_nested():
            write_batch(pending, report, change, role)
    except REFUSED as error:
        report.restore(checkpoint)
        if len(pending) == 1:
            reason = first_line(getattr(error, "orig", None) or error)
            report.add_error(pending[0].location, f"the database refused the record: {reason}")
            return
        middle = len(pending) // 2
        _write(pending[:middle], report, change, role)
        _write(pending[middle:], report, change, role)
