"""The ``claims-api`` command: database migrations, seed data, fetching and the server."""

from __future__ import annotations

import getpass
import json
import os
import re
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import click
from flask import Flask

from claims_api import create_app
from claims_api.errors import DomainError
from claims_api.extensions import db, read_only
from claims_api.models.vocabulary import Role

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar

_PACKAGE = Path(__file__).resolve().parent
SEEDS_DIR = next(
    (path for path in (_PACKAGE / "seeds", _PACKAGE.parent / "seeds") if path.is_dir()),
    _PACKAGE.parent / "seeds",
)


@contextmanager
def app_context(*, migrated: bool = True) -> Iterator[Flask]:
    """The app, for a command; with ``migrated``, it fails cleanly unless the schema is current."""
    from claims_api.migrations import SchemaNotCurrent, require_current

    app = create_app()
    with app.app_context():
        try:
            if migrated:
                try:
                    require_current(db.engine)
                except SchemaNotCurrent as error:
                    raise click.ClickException(error.detail) from None
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """claims-api: checkable factual claims, their sources and history, over REST.

    The database is DATABASE_URL (an SQLite file in ./instance by default;
    PostgreSQL as postgresql+psycopg://user:password@host/dbname).

    \b
    First run:
      claims-api db upgrade && claims-api seed && claims-api serve
    Then a key for writing (the token alone is printed):
      claims-api keys create --name alice --role admin
    """


@main.group()
def db_group() -> None:
    """Create or migrate the database schema (Alembic); back it up and restore it."""


main.add_command(db_group, "db")


@db_group.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Migrate the database up to REVISION (default: the latest)."""
    from claims_api import migrations

    with app_context(migrated=False):
        migrations.upgrade(db.engine, revision)
        click.echo(f"database at {migrations.current_revision(db.engine)}", err=True)


@db_group.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Migrate the database down to REVISION ("base" empties it: all data is lost)."""
    from claims_api import migrations

    with app_context(migrated=False):
        migrations.downgrade(db.engine, revision)
        click.echo(f"database at {migrations.current_revision(db.engine)}", err=True)


@db_group.command("current")
def db_current() -> None:
    """Print the database's migration and the latest one."""
    from claims_api import migrations

    with app_context(migrated=False):
        click.echo(f"current: {migrations.current_revision(db.engine)}")
        click.echo(f"latest:  {migrations.head_revision()}")


@db_group.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def db_backup(path: Path) -> None:
    """Write a consistent copy of the database to PATH while the API goes on serving.

    SQLite: the online backup API, one file. PostgreSQL: pg_dump -Fc, which must
    be on PATH. An existing PATH is replaced once the new backup is complete.
    """
    from claims_api.services.backup import backup

    with app_context(migrated=False):
        try:
            backup(db.engine, path)
        except DomainError as error:
            raise click.ClickException(error.detail) from None
    click.echo(f"backup written to {path}", err=True)


@db_group.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that already holds data.")
def db_restore(path: Path, force: bool) -> None:
    """Restore the backup at PATH (from `db backup`) into the database; stop the server first.

    A database that holds data is refused unless --force. A backup of an older
    migration is upgraded to the latest; one of a newer claims-api is refused.
    PostgreSQL: pg_restore must be on PATH.
    """
    from claims_api.services.backup import restore

    with app_context(migrated=False):
        try:
            migration = restore(db.engine, path, force=force)
        except DomainError as error:
            raise click.ClickException(error.detail) from None
    click.echo(f"restored {path}; database at {migration}", err=True)


@main.group()
def keys() -> None:
    """Issue, list and revoke API keys (Authorization: Bearer <token>)."""


def cli_actor() -> str:
    """Who a key change from the command line is recorded as: ``cli:<OS user>``.

    Whoever runs the command holds the database, not a key; the OS account is
    the best name for them there is ("cli" alone when it cannot be told).
    """
    try:
        return f"cli:{getpass.getuser()}"[:200]
    except (KeyError, OSError):
        return "cli"


SPAN = re.compile(r"(\d+)([dhm])")
SPAN_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def parse_span(text: str) -> timedelta | None:
    """A span of time written 30d, 12h or 45m; None for anything else."""
    span = SPAN.fullmatch(text.strip())
    if span is None:
        return None
    return timedelta(**{SPAN_UNITS[span.group(2)]: int(span.group(1))})


def span_option(ctx: click.Context, param: click.Parameter, value: str | None) -> timedelta | None:
    """An option's span of time (1d, 12h, 30m), or a usage error."""
    if value is None:
        return None
    span = parse_span(value)
    if span is None:
        raise click.BadParameter(f"{value!r} is not a span of time (1d, 12h, 30m)")
    return span


class Expiry(click.ParamType[datetime, Any]):
    """When a key expires: an RFC 3339 time or date, or a span from now (30d, 12h)."""

    name = "expiry"

    def convert(self, value: Any, param: Any, ctx: Any) -> datetime:
        if isinstance(value, datetime):
            return value
        span = parse_span(value)
        if span is not None:
            return datetime.now(UTC) + span
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            self.fail(f"{value!r} is not a time (2027-01-31, 2027-01-31T12:00Z) or a span (30d)")
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@keys.command("create")
@click.option("--name", required=True, help="Who holds the key; recorded as the actor of changes.")
@click.option(
    "--role",
    required=True,
    type=click.Choice([role.value for role in Role]),
    help="reader < contributor < reviewer < admin.",
)
@click.option(
    "--expires", type=Expiry(), help="2027-01-31, 2027-01-31T12:00Z or 90d; never by default."
)
def keys_create(name: str, role: str, expires: datetime | None) -> None:
    """Issue a key and print its token, alone on standard output; it is not shown again."""
    from claims_api.services.keys import create_key

    with app_context():
        try:
            key, token = create_key(name, Role(role), expires, issued_by=cli_actor())
        except DomainError as error:
            raise click.ClickException(_describe(error)) from None
        db.session.commit()
        click.echo(f"key {key.id} ({key.prefix}) for {key.name}, role {key.role.value}", err=True)
    click.echo(token)


@keys.command("list")
def keys_list() -> None:
    """List every key, one a line, tab-separated (never tokens): id, prefix, name, role,
    created, expires, revoked, issued by, revoked by ("-" where there is none)."""
    from claims_api.services.keys import list_keys
    from claims_api.services.pagination import PageRequest

    with app_context(), read_only():
        cursor = None
        while True:
            page = list_keys(PageRequest(limit=200, cursor=cursor))
            for key in page.items:
                dates = (key.created_at, key.expires_at, key.revoked_at)
                shown = [
                    moment.isoformat(timespec="seconds") if moment else "-" for moment in dates
                ]
                actors = [key.issued_by or "-", key.revoked_by or "-"]
                columns = [str(key.id), key.prefix, key.name, key.role.value, *shown, *actors]
                click.echo("\t".join(columns))
            if page.next_cursor is None:
                break
            cursor = page.next_cursor


@keys.command("revoke")
@click.argument("key")
def keys_revoke(key: str) -> None:
    """Revoke KEY (its id or prefix, as `keys list` shows them): it stops working at once.

    The last usable admin key is refused: issue another with `keys create` first.
    """
    from claims_api.services.keys import revoke_key

    with app_context():
        try:
            revoked = revoke_key(int(key) if key.isdigit() else key, revoked_by=cli_actor())
        except DomainError as error:
            raise click.ClickException(error.detail) from None
        db.session.commit()
        click.echo(f"key {revoked.id} ({revoked.prefix}) of {revoked.name} revoked", err=True)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--actor", default="seed", show_default=True, help="Recorded in the revisions.")
def seed(paths: tuple[Path, ...], actor: str) -> None:
    """Load the seed article documents (default: the seeds/ folder).

    Seeds go through the same import code as `claims-api import` (one
    transaction per file, a revision for every claim); loading again changes
    nothing that is already there.
    """
    inputs = _import_inputs(tuple(str(path) for path in paths or (SEEDS_DIR,)))
    if not inputs:
        raise click.ClickException("no seed files found")
    reports = _run_imports(inputs, verb="seed", actor=actor)
    if any(report["error_count"] for report in reports):
        sys.exit(1)


@main.command("link-entities")
@click.option("--batch", default=1000, show_default=True, help="Claims per transaction.")
def link_entities(batch: int) -> None:
    """Link every stored claim to the entities it names, as every write now does.

    Run once after upgrading to the schema with entities (migration b5d17e3c9a40):
    claims written before it have no links, so the tag filter would not find them by
    another name of an entity, nor /entities/{id}/claims at all. Running it again
    changes nothing.
    """
    from claims_api.services.claim_entities import link_all_claims

    with app_context():
        linked = 0
        for linked in link_all_claims(batch):  # noqa: B007 (the last count is printed)
            db.session.commit()
        click.echo(f"{linked} claims linked")


def _describe(error: DomainError) -> str:
    if error.errors:
        return "; ".join(f"{name}: {' '.join(texts)}" for name, texts in error.errors.items())
    return error.detail


IMPORTABLE = ("*.json", "*.jsonl", "*.ndjson", "*.jsonld", "*.html", "*.htm")


def _import_inputs(paths: tuple[str, ...]) -> list[Path | None]:
    """Files named, or found under folders named; None stands for standard input."""
    inputs: list[Path | None] = []
    for name in paths:
        if name == "-":
            inputs.append(None)
            continue
        path = Path(name)
        if not path.exists():
            raise click.BadParameter(f"{name}: no such file or folder", param_hint="PATH")
        if path.is_dir():
            inputs.extend(sorted(f for pattern in IMPORTABLE for f in path.rglob(pattern)))
        else:
            inputs.append(path)
    return inputs


@main.command("import")
@click.argument("paths", nargs=-1, required=True)
@click.option("--partial", is_flag=True, help="Keep the valid records of a file with errors.")
@click.option("--dry-run", is_flag=True, help="Report what would change; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable report.")
@click.option(
    "--format",
    "input_format",
    type=click.Choice(["jsonl", "json", "html"]),
    help="Input format (default: from the file name, else the content).",
)
@click.option("--actor", default="import", show_default=True, help="Recorded in the revisions.")
def import_command(
    paths: tuple[str, ...],
    partial: bool,
    dry_run: bool,
    as_json: bool,
    input_format: str | None,
    actor: str,
) -> None:
    """Import article documents or schema.org ClaimReview from PATHs (files, folders, - for stdin).

    \b
    Formats: the seeds/ document format (one per file, a JSON array, or JSON
    Lines), and ClaimReview JSON-LD (an object, an array, an @graph, a DataFeed,
    or HTML pages with <script type="application/ld+json"> blocks).

    Each file is one transaction: a file with any error imports nothing unless
    --partial. Importing the same input again changes nothing. The exit status
    is 1 when any file had errors.
    """
    reports = _run_imports(
        _import_inputs(paths),
        verb="import",
        actor=actor,
        partial=partial,
        dry_run=dry_run,
        input_format=input_format,
        quiet=as_json,
    )
    if as_json:
        click.echo(json.dumps(reports, indent=2, ensure_ascii=False))
    if any(report["error_count"] for report in reports):
        sys.exit(1)


def _run_imports(
    inputs: list[Path | None],
    *,
    verb: str,
    actor: str,
    partial: bool = False,
    dry_run: bool = False,
    input_format: str | None = None,
    quiet: bool = False,
) -> list[dict[str, Any]]:
    """Import each input as its own run (see ``runs.run_import``), with a progress bar;
    the reports. One file's failure does not stop the others."""
    from claims_api.services.imports import runs as run_service
    from claims_api.services.imports.progress import counting, input_size, spooled_stdin
    from claims_api.services.imports.readers import detect_format

    reports = []
    with app_context() as app:
        stale_after = timedelta(seconds=app.config["IMPORT_STALE_SECONDS"])
        for path in inputs:
            name = "-" if path is None else str(path)
            raw = spooled_stdin() if path is None else path.open("rb")
            with (
                raw,
                cast(
                    "ProgressBar[int]",
                    click.progressbar(
                        length=input_size(path, raw), label=name, file=sys.stderr, show_eta=True
                    ),
                ) as bar,
            ):
                stream = counting(raw, bar.update)
                request = run_service.ImportRequest(
                    source_name=name,
                    input_format=input_format or detect_format(name, stream.peek(4096)),
                    actor=actor,
                    # Whoever runs the CLI holds the database: it loads as an admin.
                    role=Role.ADMIN,
                    partial=partial,
                    dry_run=dry_run,
                    verb=verb,
                    label=Path(name).name,
                )
                outcome = run_service.run_import(stream, request, stale_after=stale_after)
            assert outcome.report is not None, "a run without a key is never replayed"
            reports.append(
                {
                    "import_id": outcome.run.id,
                    "status": outcome.run.status,
                    **outcome.report.as_dict(),
                    "written": outcome.written,
                    "dry_run": dry_run,
                }
            )
            if not quiet:
                _print_import_summary(reports[-1])
    return reports


SHOWN_PROBLEMS = 20


def _print_import_summary(report: dict[str, Any]) -> None:
    counts = report["counts"]
    tally = (
        f"({counts.get('records', 0)} records, {report['error_count']} errors, "
        f"{report['warning_count']} warnings; import {report['import_id']})"
    )
    if not report["written"] and not report["dry_run"]:
        click.echo(f"{report['file']}: nothing was imported {tally}", err=True)
    else:
        would = " (dry run: nothing written)" if report["dry_run"] else ""
        click.echo(
            f"{report['file']}: claims {counts.get('claims_created', 0)} created, "
            f"{counts.get('claims_updated', 0)} updated, "
            f"{counts.get('claims_unchanged', 0)} unchanged {tally}{would}",
            err=True,
        )
    for problem in report["errors"][:SHOWN_PROBLEMS]:
        where = problem["location"] + (f" {problem['field']}" if problem.get("field") else "")
        click.echo(f"  error at {where}: {problem['reason']}", err=True)
    for problem in report["warnings"][:SHOWN_PROBLEMS]:
        click.echo(f"  warning at {problem['location']}: {problem['reason']}", err=True)
    hidden = [
        f"{report[f'{kind}_count'] - SHOWN_PROBLEMS} more {kind}s"
        for kind in ("error", "warning")
        if report[f"{kind}_count"] > SHOWN_PROBLEMS
    ]
    if hidden:
        click.echo(f"  ... and {', '.join(hidden)} (--json lists up to 1000 of each)", err=True)


@main.command()
@click.argument("article_id", required=False, type=click.IntRange(min=1))
@click.option(
    "--file",
    "text_file",
    type=click.File("r", encoding="utf-8"),
    help="Extract from this text file (- for standard input) instead of a stored article.",
)
@click.option("--save", is_flag=True, help="Store the new candidates of the stored article.")
@click.option(
    "--min-score",
    default=None,
    type=click.FloatRange(0, 1),
    help="Leave out candidates less check-worthy than this (default: the API's min_score).",
)
@click.option("--actor", default="extractor", show_default=True, help="Recorded with --save.")
def extract(
    article_id: int | None,
    text_file: Any,
    save: bool,
    min_score: float | None,
    actor: str,
) -> None:
    """Propose the checkable claims of ARTICLE_ID, or of --file; JSON on stdout.

    Each candidate has its kind, a self-contained text, the quote anchoring it
    (exact, start, end, prefix, suffix), its structured fields, a check-worthiness
    score and the features behind it. --save stores the candidates of a stored
    article as claims (revision reason "extracted"), skipping any that a live
    claim of the same kind already covers.
    """
    from claims_api.extraction import DEFAULT_MIN_SCORE
    from claims_api.schemas.extraction import ExtractionSchema
    from claims_api.services import extraction as extraction_service
    from claims_api.services.revisions import Change

    if (article_id is None) == (text_file is None):
        raise click.UsageError("give either ARTICLE_ID or --file, not both")
    if save and text_file is not None:
        raise click.UsageError("--save stores claims of a stored article; it needs ARTICLE_ID")
    threshold = DEFAULT_MIN_SCORE if min_score is None else min_score
    if text_file is not None:
        try:
            proposals = extraction_service.propose(text_file.read(), threshold)
        except DomainError as error:
            raise click.ClickException(_describe(error)) from None
    elif article_id is not None:
        # Without --save it only reads, and must not hold up the API's writers.
        with app_context(), read_only() if not save else nullcontext():
            try:
                # Whoever runs the CLI holds the database: it writes as an admin.
                proposals = extraction_service.extract_article(
                    article_id, Change(actor), role=Role.ADMIN, min_score=threshold, save=save
                )
                db.session.commit()
            except DomainError as error:
                db.session.rollback()
                raise click.ClickException(_describe(error)) from None
    saved = sum(proposal.outcome == "saved" for proposal in proposals)
    result = ExtractionSchema().dump({"article_id": article_id, "items": proposals, "saved": saved})
    click.echo(json.dumps(result, ensure_ascii=False, indent=2))


@main.command()
@click.option(
    "--format",
    "export_format",
    type=click.Choice(["jsonl", "claimreview"]),
    default="jsonl",
    show_default=True,
    help="jsonl: article documents, importable as they are; claimreview: a schema.org DataFeed.",
)
@click.option("--since", type=click.DateTime(), help="Only claims changed since then (UTC).")
@click.option("--article-id", type=int, help="Only this article's claims.")
@click.option("--status", help="Only claims with this status.")
@click.option(
    "-o", "--output", type=click.File("w", encoding="utf-8"), default="-", help="File to write."
)
def export(
    export_format: str,
    since: Any,
    article_id: int | None,
    status: str | None,
    output: Any,
) -> None:
    """Export articles and claims, streamed (to standard output unless -o FILE).

    JSON Lines holds one article document per line in the import format, so an
    export imports back as it is. ClaimReview holds our published verdicts, with
    the same URLs as the API's (CLAIMS_FACTCHECK_URL_TEMPLATE).
    """
    from datetime import UTC

    from claims_api.services.exports import ExportFilter, export_chunks

    selection = ExportFilter(
        since=since.replace(tzinfo=UTC) if since else None, article_id=article_id, status=status
    )
    # A read: on SQLite it takes no write lock, so the API's writers go on meanwhile.
    with app_context(), read_only():
        for chunk in export_chunks(export_format, selection):
            output.write(chunk)


@main.command("fetch")
@click.argument("urls", nargs=-1, required=True)
@click.option("--actor", default="fetch", show_default=True, help="Recorded with the versions.")
def fetch_command(urls: tuple[str, ...], actor: str) -> None:
    """Add an article for each of URLS from its page, as POST /articles with "fetch": true.

    Each URL is its own transaction; a URL that fails is reported and the others go
    on. The exit status is 1 when any failed.
    """
    from claims_api.services.article_fetching import fetch_article
    from claims_api.services.revisions import Change

    failed = 0
    with app_context(), click.progressbar(urls, label="fetching", file=sys.stderr) as bar:
        for url in bar:
            try:
                article = fetch_article({"url": url}, Change(actor))
                db.session.commit()
            except DomainError as error:
                db.session.rollback()
                failed += 1
                click.echo(f"\n{url}: {_describe(error)}", err=True)
                continue
            click.echo(
                f"\n{url}: article {article.id}, {len(article.body or '')} characters: "
                f"{article.title}",
                err=True,
            )
    if failed:
        sys.exit(1)


@main.command("refresh")
@click.argument("article_ids", nargs=-1, type=click.IntRange(min=1))
@click.option(
    "--older-than",
    callback=span_option,
    help="Only articles last fetched longer ago than this (1d, 12h, 30m); all by default.",
)
@click.option("--actor", default="refresh", show_default=True, help="Recorded with the versions.")
def refresh_command(article_ids: tuple[int, ...], older_than: timedelta | None, actor: str) -> None:
    """Fetch fetched articles again (ARTICLE_IDS, or every one due), as
    POST /articles/{id}/refresh: a changed text is kept as the next version and the
    claims' quotes follow it. For a cron job or a worker; the exit status is 1 when
    any refresh failed.
    """
    from claims_api.services.article_fetching import articles_due, refresh_article
    from claims_api.services.revisions import ANY_VERSION, Change

    tally = {"changed": 0, "unchanged": 0, "failed": 0}
    with app_context():
        cutoff = datetime.now(UTC) - older_than if older_than is not None else None
        due = list(article_ids) or articles_due(cutoff)
        db.session.rollback()
        with click.progressbar(due, label="refreshing", file=sys.stderr) as bar:
            for article_id in bar:
                try:
                    refresh = refresh_article(article_id, ANY_VERSION, Change(actor, "refresh"))
                    db.session.commit()
                except DomainError as error:
                    db.session.rollback()
                    tally["failed"] += 1
                    click.echo(f"\narticle {article_id}: {_describe(error)}", err=True)
                    continue
                tally["changed" if refresh.changed else "unchanged"] += 1
                if refresh.changed:
                    click.echo(
                        f"\narticle {article_id}: changed, now version "
                        f"{refresh.article.body_version}",
                        err=True,
                    )
    click.echo(", ".join(f"{count} {name}" for name, count in tally.items()), err=True)
    if tally["failed"]:
        sys.exit(1)


@main.command("prune-events")
def prune_events_command() -> None:
    """Delete the change feed's events older than CLAIMS_EVENT_RETENTION_DAYS (default 30).

    The worker does this every hour; this is for a cron job where none runs.
    """
    from claims_api.services.events import prune

    with app_context():
        pruned = prune()
        db.session.commit()
    click.echo(f"{pruned} events pruned", err=True)


def _task_names(ctx: click.Context, param: click.Parameter, value: str) -> list[str]:
    from claims_api.worker import TASKS

    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in TASKS]
    if unknown or not names:
        raise click.BadParameter(
            f"{', '.join(unknown) or 'none given'}: the tasks are {', '.join(TASKS)}"
        )
    return names


@main.command()
@click.option(
    "--once", is_flag=True, help="Run until no task has anything to do, then exit (for cron)."
)
@click.option(
    "--tasks",
    "task_names",
    default="imports,matching,webhooks,prune-events",
    show_default=True,
    callback=_task_names,
    help="Comma-separated: imports (queued asynchronous imports), matching (verdict "
    "matches of claims bulk imports wrote), webhooks (due deliveries), prune-events "
    "(hourly).",
)
@click.option(
    "--exit-with-parent",
    is_flag=True,
    hidden=True,
    help="Stop when the process that started this one exits (serve's embedded worker).",
)
def worker(once: bool, task_names: list[str], exit_with_parent: bool) -> None:
    """Run the background work: asynchronous imports (POST /imports with
    Prefer: respond-async), verdict matches of bulk-imported claims, webhook
    deliveries and pruning the change feed.

    \b
    Run any number beside `claims-api serve` on PostgreSQL: each job goes to
    one worker (FOR UPDATE SKIP LOCKED). On SQLite, `serve` runs one itself
    (CLAIMS_EMBEDDED_WORKER), and workers take turns.
    On SIGTERM or Ctrl-C the import in hand stops at its next batch boundary,
    is rolled back and queued again, and the worker exits 0. A worker killed
    outright loses nothing either: its job's lease (CLAIMS_WORKER_LEASE_SECONDS)
    lapses and another worker runs it again from the start; so do its webhook
    deliveries (CLAIMS_WEBHOOK_LEASE_SECONDS).
    """
    import signal

    from claims_api.migrations import SchemaNotCurrent, require_current
    from claims_api.worker import Worker

    stop = threading.Event()
    previous = {
        signum: signal.signal(signum, lambda *_: stop.set())
        for signum in (signal.SIGTERM, signal.SIGINT)
    }
    parent = os.getppid() if exit_with_parent else None
    if parent is not None:
        threading.Thread(target=_stop_with_parent, args=(parent, stop), daemon=True).start()
    try:
        with app_context(migrated=False) as app:
            while not stop.is_set():
                try:
                    require_current(db.engine)
                    break
                except SchemaNotCurrent as error:
                    if once:
                        raise click.ClickException(error.detail) from None
                    click.echo(f"worker waiting: {error.detail}", err=True)
                    stop.wait(5)
                finally:
                    db.session.remove()
            Worker(app, task_names, stop=stop).run(once=once)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _stop_with_parent(parent: int, stop: threading.Event) -> None:
    """Set ``stop`` once this process's parent has gone (it is then re-parented)."""
    while not stop.wait(1.0):
        if os.getppid() != parent:
            stop.set()


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--workers",
    envvar="CLAIMS_WORKERS",
    default=2,
    show_default=True,
    type=int,
    help="gunicorn worker processes.",
)
@click.option(
    "--threads",
    envvar="CLAIMS_THREADS",
    default=4,
    show_default=True,
    type=int,
    help="Threads per worker.",
)
@click.option("--dev", is_flag=True, help="Run Flask's development server instead (reloads).")
def serve(host: str, port: int, workers: int, threads: int, dev: bool) -> None:
    """Serve the API with gunicorn (threaded workers).

    With CLAIMS_EMBEDDED_WORKER (on by default for SQLite, off for PostgreSQL)
    it also runs one `claims-api worker` beside the server, started once for the
    whole server (not per gunicorn worker) and stopped with it.
    """
    from claims_api.worker import EmbeddedWorker, embedded_worker_wanted

    embedded = EmbeddedWorker() if embedded_worker_wanted(create_app()) else None
    if dev:
        # The reloader runs this command again in a child; the worker belongs to the parent.
        if embedded is not None and os.environ.get("WERKZEUG_RUN_MAIN") != "true":
            embedded.start()
        try:
            create_app().run(host=host, port=port, debug=True)
        finally:
            if embedded is not None:
                embedded.stop()
        return
    from claims_api import server

    server.serve(
        create_app, host=host, port=port, workers=workers, threads=threads, embedded=embedded
    )
