"""The Alembic chain: empty → head → empty on both databases, and models agree with it."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import JSON, Engine, column, create_engine, inspect, make_url, table, text

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


BEFORE_EXTERNAL_REVIEWS = "851a1e7a483d"
OLD_RATING = {
    "value": 1,
    "best": 6,
    "worst": None,
    "alternate_name": "True",
    "explanation": None,
    "review_url": "https://www.politifact.com/reviews/1",
    "reviewed_by": "PolitiFact",
    "reviewed_at": "2014-07-23T00:00:00+00:00",
}


def test_ratings_given_elsewhere_become_external_reviews_and_come_back_on_downgrade(
    empty_engine: Engine,
) -> None:
    migrations.upgrade(empty_engine, BEFORE_EXTERNAL_REVIEWS)
    now = "2026-12-01 10:00:00"
    with empty_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO articles (id, url, title, authors, version, created_at, updated_at) "
                "VALUES (1, 'https://example.org/a', 'A', '[]', 1, :now, :now)"
            ),
            {"now": now},
        )
        claims = table("claims", column("id"), column("rating", JSON))
        for claim_id in (1, 2):
            connection.execute(
                text(
                    "INSERT INTO claims (id, article_id, text, kind, status, revision, "
                    "created_at, updated_at) "
                    "VALUES (:id, 1, 'A claim.', 'other', 'unverified', 1, :now, :now)"
                ),
                {"id": claim_id, "now": now},
            )
        connection.execute(claims.update().where(claims.c.id == 1).values(rating=OLD_RATING))

    migrations.upgrade(empty_engine)

    with empty_engine.connect() as connection:
        rows = connection.execute(
            text("SELECT claim_id, reviewer, url, published_at, rating FROM external_reviews")
        ).all()
    assert "rating" not in {item["name"] for item in inspect(empty_engine).get_columns("claims")}
    (row,) = rows
    rating = row.rating if isinstance(row.rating, dict) else json.loads(row.rating)
    assert (row.claim_id, row.reviewer, row.url) == (1, "PolitiFact", OLD_RATING["review_url"])
    assert str(row.published_at).startswith("2014-07-23 00:00:00"), row.published_at
    assert rating == {"value": 1, "best": 6, "worst": None, "alternate_name": "True", "name": None}

    migrations.downgrade(empty_engine, BEFORE_EXTERNAL_REVIEWS)

    with empty_engine.connect() as connection:
        restored = dict(connection.execute(text("SELECT id, rating FROM claims")).all())
    decoded = {
        key: value if not isinstance(value, str) else json.loads(value)
        for key, value in restored.items()
    }
    assert decoded == {1: OLD_RATING, 2: None}, decoded
