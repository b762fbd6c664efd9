"""The Alembic chain: empty → head → empty on both databases, and models agree with it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, inspect, make_url

from claims_api import migrations
from claims_api.models import Base
from tests.conftest import POSTGRES_URL, fresh_postgres_database


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_engine(request: pytest.FixtureRequest, tmp_path) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
    else:
        target = make_url(POSTGRES_URL)
        url = fresh_postgres_database(
            target.set(database=f"{target.database}_migrations").render_as_string(False)
        )
    from claims_api.extensions import configure_sqlite

    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        configure_sqlite(engine, 5000)
    yield engine
    engine.dispose()


def tables(engine: Engine) -> set[str]:
    return {name for name in inspect(engine).get_table_names() if "_fts" not in name}


def test_upgrade_creates_every_model_table_and_models_agree(empty_engine: Engine) -> None:
    migrations.upgrade(empty_engine)
    assert tables(empty_engine) == set(Base.metadata.tables) | {"alembic_version"}
    assert migrations.current_revision(empty_engine) == migrations.head_revision()
    migrations.check(empty_engine)  # raises if autogenerate would change anything


def test_downgrade_to_base_removes_everything_and_upgrade_again_works(
    empty_engine: Engine,
) -> None:
    migrations.upgrade(empty_engine)
    migrations.downgrade(empty_engine, "base")
    assert inspect(empty_engine).get_table_names() == ["alembic_version"]
    migrations.upgrade(empty_engine)
    assert migrations.current_revision(empty_engine) == migrations.head_revision()
