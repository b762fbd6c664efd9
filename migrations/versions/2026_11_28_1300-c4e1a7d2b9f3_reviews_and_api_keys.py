"""Reviews and API keys: api_keys, reviews, claim_assignments; claims gain a queue
priority and their published review; revisions gain the review and publish actions.

The two claims columns are added and dropped with plain ALTER TABLE on both
databases, not in batch mode: a batch rebuild of ``claims`` on SQLite would drop
the FTS triggers the initial migration put on it. SQLite has ADD COLUMN (with a
REFERENCES clause, for a NULL default) and, since 3.35, DROP COLUMN. The
``revisions`` table has no triggers and is rebuilt in batch mode to widen its
action CHECK constraint.

Revision ID: c4e1a7d2b9f3
Revises: 6f8c545d5f88
Create Date: 2026-11-28 13:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "c4e1a7d2b9f3"
down_revision: str | None = "6f8c545d5f88"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)

OLD_ACTIONS = ("create", "update", "delete", "status", "link", "unlink")
NEW_ACTIONS = (*OLD_ACTIONS, "review", "publish")
ACTION_CHECK = "ck_revisions_revision_action"


def set_revision_actions(actions: tuple[str, ...]) -> None:
    allowed = ", ".join(f"'{action}'" for action in actions)
    with op.batch_alter_table("revisions") as batch:
        batch.drop_constraint(op.f(ACTION_CHECK), type_="check")
        batch.create_check_constraint(op.f(ACTION_CHECK), sa.text(f"action IN ({allowed})"))


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "reader",
                "contributor",
                "reviewer",
                "admin",
                name="role",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("token_sha256", sa.String(64), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("expires_at", TIMESTAMP),
        sa.Column("revoked_at", TIMESTAMP),
        sa.UniqueConstraint("prefix", name="uq_api_keys_prefix"),
    )
    op.create_index("ix_api_keys_created_at_id", "api_keys", ["created_at", "id"])

    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "claim_id",
            sa.Integer(),
            sa.ForeignKey("claims.id", name="fk_reviews_claim_id_claims"),
            nullable=False,
        ),
        sa.Column("reviewer", sa.String(200), nullable=False),
        sa.Column("from_status", sa.String(40), nullable=False),
        sa.Column("to_status", sa.String(40), nullable=False),
        sa.Column("rationale", sa.Text()),
        sa.Column("rating", sa.String(200)),
        sa.Column("evidence", JSON, nullable=False),
        sa.Column("correction", sa.Boolean(), nullable=False),
        sa.Column("revision_number", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("published_at", TIMESTAMP),
    )
    op.create_index(
        "ix_reviews_claim_id_created_at_id", "reviews", ["claim_id", "created_at", "id"]
    )

    op.create_table(
        "claim_assignments",
        sa.Column(
            "claim_id",
            sa.Integer(),
            sa.ForeignKey("claims.id", name="fk_claim_assignments_claim_id_claims"),
            primary_key=True,
        ),
        sa.Column("reviewer", sa.String(200), nullable=False),
        sa.Column("leased_at", TIMESTAMP, nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
    )

    op.add_column(
        "claims",
        sa.Column("review_priority", sa.Integer(), nullable=False, server_default=sa.text("3")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.add_column("claims", sa.Column("published_review_id", sa.Integer()))
        op.create_foreign_key(
            "fk_claims_published_review_id_reviews",
            "claims",
            "reviews",
            ["published_review_id"],
            ["id"],
        )
    else:
        op.execute(
            "ALTER TABLE claims ADD COLUMN published_review_id INTEGER "
            "CONSTRAINT fk_claims_published_review_id_reviews REFERENCES reviews (id)"
        )
    op.create_index(
        "ix_claims_status_review_priority_id", "claims", ["status", "review_priority", "id"]
    )

    set_revision_actions(NEW_ACTIONS)


def downgrade() -> None:
    # The history stays, told in the words the older schema knows.
    op.execute("UPDATE revisions SET action = 'status' WHERE action IN ('review', 'publish')")
    set_revision_actions(OLD_ACTIONS)

    op.drop_index("ix_claims_status_review_priority_id", "claims")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("fk_claims_published_review_id_reviews", "claims", type_="foreignkey")
    op.execute("ALTER TABLE claims DROP COLUMN published_review_id")
    op.execute("ALTER TABLE claims DROP COLUMN review_priority")

    op.drop_table("claim_assignments")
    op.drop_index("ix_reviews_claim_id_created_at_id", "reviews")
    op.drop_table("reviews")
    op.drop_index("ix_api_keys_created_at_id", "api_keys")
    op.drop_table("api_keys")
