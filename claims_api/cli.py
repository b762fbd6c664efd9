"""The ``claims-api`` command: database migrations, seed data and the server."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
from flask import Flask

from claims_api import create_app
from claims_api.errors import DomainError
from claims_api.extensions import db
from claims_api.models.vocabulary import Role

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
    Then a key for writing (the token alone is printed):
      claims-api keys create --name alice --role admin
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


@main.group()
def keys() -> None:
    """Issue, list and revoke API keys (Authorization: Bearer <token>)."""


class Expiry(click.ParamType):
    """When a key expires: an RFC 3339 time or date, or a span from now (30d, 12h)."""

    name = "expiry"
    SPAN = re.compile(r"(\d+)([dh])")

    def convert(self, value: Any, param: Any, ctx: Any) -> datetime:
        if isinstance(value, datetime):
            return value
        span = self.SPAN.fullmatch(value.strip())
        if span:
            unit = "days" if span.group(2) == "d" else "hours"
            return datetime.now(UTC) + timedelta(**{unit: int(span.group(1))})
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
            key, token = create_key(name, Role(role), expires)
        except DomainError as error:
            raise click.ClickException(_describe(error)) from None
        db.session.commit()
        click.echo(f"key {key.id} ({key.prefix}) for {key.name}, role {key.role.value}", err=True)
    click.echo(token)


@keys.command("list")
def keys_list() -> None:
    """List every key: id, prefix, name, role, created, expires, revoked (never tokens)."""
    from claims_api.services.keys import list_keys
    from claims_api.services.pagination import PageRequest

    with app_context():
        cursor = None
        while True:
            page = list_keys(PageRequest(limit=200, cursor=cursor))
            for key in page.items:
                dates = (key.created_at, key.expires_at, key.revoked_at)
                shown = [
                    moment.isoformat(timespec="seconds") if moment else "-" for moment in dates
                ]
                click.echo("\t".join([str(key.id), key.prefix, key.name, key.role.value, *shown]))
            if page.next_cursor is None:
                break
            cursor = page.next_cursor


@keys.command("revoke")
@click.argument("key")
def keys_revoke(key: str) -> None:
    """Revoke KEY (its id or prefix, as `keys list` shows them): it stops working at once."""
    from claims_api.services.keys import revoke_key

    with app_context():
        try:
            revoked = revoke_key(int(key) if key.isdigit() else key)
        except DomainError as error:
            raise click.ClickException(error.detail) from None
        db.session.commit()
        click.echo(f"key {revoked.id} ({revoked.prefix}) of {revoked.name} revoked", err=True)


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
