"""The ``claims-api`` command: database migrations, seed data and the server."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from flask import Flask

from claims_api import create_app
from claims_api.errors import DomainError
from claims_api.extensions import db

_PACKAGE = Path(__file__).resolve().parent
SEEDS_DIR = next(
    (path for path in (_PACKAGE / "seeds", _PACKAGE.parent / "seeds") if path.is_dir()),
    _PACKAGE.parent / "seeds",
)


@contextmanager
def app_context() -> Iterator[Flask]:
    app = create_app()
    with app.app_context():
        try:
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
    """


@main.group()
def db_group() -> None:
    """Create or migrate the database schema (Alembic)."""


main.add_command(db_group, "db")


@db_group.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Migrate the database up to REVISION (default: the latest)."""
    from claims_api import migrations

    with app_context():
        migrations.upgrade(db.engine, revision)
        click.echo(f"database at {migrations.current_revision(db.engine)}", err=True)


@db_group.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Migrate the database down to REVISION ("base" empties it: all data is lost)."""
    from claims_api import migrations

    with app_context():
        migrations.downgrade(db.engine, revision)
        click.echo(f"database at {migrations.current_revision(db.engine)}", err=True)


@db_group.command("current")
def db_current() -> None:
    """Print the database's migration and the latest one."""
    from claims_api import migrations

    with app_context():
        click.echo(f"current: {migrations.current_revision(db.engine)}")
        click.echo(f"latest:  {migrations.head_revision()}")


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, dir_okay=True, path_type=Path))
@click.option("--actor", default="seed", show_default=True, help="Recorded in the revisions.")
def seed(paths: tuple[Path, ...], actor: str) -> None:
    """Load the seed article documents (default: the seeds/ folder).

    Each file is loaded in one transaction through the same service code as the
    API, so seeded claims have revisions. Loading again changes nothing that is
    already there.
    """
    from claims_api.services.documents import load_document
    from claims_api.services.revisions import Change

    files = sorted(
        file
        for path in (paths or (SEEDS_DIR,))
        for file in ([path] if path.is_file() else path.glob("*.json"))
    )
    if not files:
        raise click.ClickException("no seed files (*.json) found")
    failed = False
    with app_context():
        for file in files:
            try:
                document = json.loads(file.read_text(encoding="utf-8"))
                report = load_document(document, Change(actor, f"seed {file.name}"))
                db.session.commit()
            except (DomainError, ValueError) as error:
                db.session.rollback()
                failed = True
                click.echo(f"{file}: not loaded: {_describe(error)}", err=True)
                continue
            click.echo(
                f"{file.name}: claims {report['created']} created, {report['updated']} updated, "
                f"{report['unchanged']} unchanged",
                err=True,
            )
    if failed:
        sys.exit(1)


def _describe(error: Exception) -> str:
    if isinstance(error, DomainError) and error.errors:
        return "; ".join(f"{name}: {' '.join(texts)}" for name, texts in error.errors.items())
    return str(error)


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
    help="Leave out candidates less check-worthy than this (default 0.4).",
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
        proposals = extraction_service.propose(text_file.read(), threshold)
    else:
        with app_context():
            try:
                proposals = extraction_service.extract_article(
                    article_id, Change(actor), min_score=threshold, save=save
                )
                db.session.commit()
            except DomainError as error:
                db.session.rollback()
                raise click.ClickException(_describe(error)) from None
    saved = sum(proposal.outcome == "saved" for proposal in proposals)
    result = ExtractionSchema().dump({"article_id": article_id, "items": proposals, "saved": saved})
    click.echo(json.dumps(result, ensure_ascii=False, indent=2))


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
    """Serve the API with gunicorn (threaded workers)."""
    if dev:
        create_app().run(host=host, port=port, debug=True)
        return
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            options: dict[str, Any] = {
                "bind": f"{host}:{port}",
                "workers": workers,
                "threads": threads,
                "worker_class": "gthread",
                "accesslog": "-",
            }
            for name, value in options.items():
                self.cfg.set(name, value)

        def load(self) -> Flask:
            return create_app()

    Server().run()
