"""Article body versions and claim anchors: article_versions; articles gain body_version;
claims gain their anchor (state, version, score, previous exact words) and a needs-review
flag; revisions gain the reanchor and anchor actions.

Every article that has a body gets it back as version 1 (origin ``created``), and
every claim quoting it is anchored in that version. The claims and articles columns
are plain ADD/DROP COLUMN (a batch rebuild on SQLite would drop their FTS triggers);
``revisions`` has none and is rebuilt in batch mode to widen its action CHECK.

Revision ID: 5b2e9c31d7a4
Revises: 3b7d2e9a51c4
Create Date: 2026-12-03 07:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5b2e9c31d7a4"
down_revision: str | None = "3b7d2e9a51c4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)
OLD_ACTIONS = ("create", "update", "delete", "status", "link", "unlink", "review", "publish")
NEW_ACTIONS = (*OLD_ACTIONS, "reanchor", "anchor")
ACTION_CHECK = "ck_revisions_revision_action"
ANCHOR_STATES = ("anchored", "moved", "fuzzy", "ambiguous", "orphaned")


def enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def set_revision_actions(actions: tuple[str, ...]) -> None:
    allowed = ", ".join(f"'{action}'" for action in actions)
    with op.batch_alter_table("revisions") as batch:
        batch.drop_constraint(op.f(ACTION_CHECK), type_="check")
        batch.create_check_constraint(op.f(ACTION_CHECK), sa.text(f"action IN ({allowed})"))


def upgrade() -> None:
    op.create_table(
        "article_versions",
        sa.Column(
            "article_id",
            sa.Integer(),
            sa.ForeignKey("articles.id", name="fk_article_versions_article_id_articles"),
            nullable=False,
        ),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_sha256", sa.String(64), nullable=False),
        sa.Column(
            "origin",
            enum("version_origin", "created", "edited", "fetched", "refreshed", "imported"),
            nullable=False,
        ),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("article_id", "number", name="pk_article_versions"),
    )
    op.add_column("articles", sa.Column("body_version", sa.Integer()))
    # Written out: Alembic cannot add a column's CHECK to an existing SQLite table,
    # but both databases take it inline in ADD COLUMN.
    op.execute(
        "ALTER TABLE claims ADD COLUMN anchor_state VARCHAR(32) "
        "CONSTRAINT ck_claims_anchor_state CHECK (anchor_state IN "
        f"({', '.join(repr(state) for state in ANCHOR_STATES)}))"
    )
    op.add_column("claims", sa.Column("anchor_version", sa.Integer()))
    op.add_column("claims", sa.Column("anchor_score", sa.Double()))
    op.add_column("claims", sa.Column("anchor_previous_exact", sa.Text()))
    op.add_column("claims", sa.Column("needs_review_reason", sa.Text()))
    op.add_column("claims", sa.Column("needs_review_since", TIMESTAMP))
    op.create_index("ix_claims_needs_review_since_id", "claims", ["needs_review_since", "id"])
    set_revision_actions(NEW_ACTIONS)

    op.execute(
        "INSERT INTO article_versions "
        "(article_id, number, body, body_sha256, origin, actor, created_at) "
        "SELECT id, 1, body, body_sha256, 'created', 'migration', created_at "
        "FROM articles WHERE body IS NOT NULL"
    )
    op.execute("UPDATE articles SET body_version = 1 WHERE body IS NOT NULL")
    op.execute(
        "UPDATE claims SET anchor_state = 'anchored', anchor_version = 1 "
        "WHERE quote_start IS NOT NULL"
    )


def downgrade() -> None:
    set_revision_actions(OLD_ACTIONS)
    op.drop_index("ix_claims_needs_review_since_id", table_name="claims")
    for column in (
        "needs_review_since",
        "needs_review_reason",
        "anchor_previous_exact",
        "anchor_score",
        "anchor_version",
        "anchor_state",
    ):
        op.drop_column("claims", column)
    op.drop_column("articles", "body_version")
    op.drop_table("article_versions")
