"""Relations between claims that reviewers decide, their history, and claim groups.

claim_relations holds one row per pair of claims, in canonical order (the lower id
first; a CHECK says so and a unique constraint stops a second row for a pair), with
the relation, its state and a revision (the ETag). relation_decisions is each
relation's own history. claim_groups and claim_group_members are the connected
components of confirmed ``same`` relations, kept by the service with each decision.
New tables only: nothing existing changes.

Revision ID: b5d81f3c2a70
Revises: b5d17e3c9a40
Create Date: 2026-12-03 19:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b5d81f3c2a70"
down_revision: str | None = "b5d17e3c9a40"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)
RELATIONS = ("same", "contradicts", "updates", "related")
STATES = ("confirmed", "rejected", "withdrawn")


def enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade() -> None:
    op.create_table(
        "claim_relations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_low_id", sa.Integer(), nullable=False),
        sa.Column("claim_high_id", sa.Integer(), nullable=False),
        sa.Column("relation", enum("relation_kind", *RELATIONS), nullable=False),
        sa.Column("newer_claim_id", sa.Integer()),
        sa.Column("state", enum("relation_state", *STATES), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_claim_relations"),
        sa.ForeignKeyConstraint(
            ["claim_low_id"], ["claims.id"], name="fk_claim_relations_claim_low_id_claims"
        ),
        sa.ForeignKeyConstraint(
            ["claim_high_id"], ["claims.id"], name="fk_claim_relations_claim_high_id_claims"
        ),
        sa.ForeignKeyConstraint(
            ["newer_claim_id"], ["claims.id"], name="fk_claim_relations_newer_claim_id_claims"
        ),
        sa.UniqueConstraint(
            "claim_low_id", "claim_high_id", name="uq_claim_relations_claim_low_id_claim_high_id"
        ),
        sa.CheckConstraint(
            "claim_low_id < claim_high_id", name="ck_claim_relations_canonical_pair"
        ),
    )
    op.create_index("ix_claim_relations_claim_low_id_id", "claim_relations", ["claim_low_id", "id"])
    op.create_index(
        "ix_claim_relations_claim_high_id_id", "claim_relations", ["claim_high_id", "id"]
    )
    op.create_table(
        "relation_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("relation_id", sa.Integer(), nullable=False),
        sa.Column("decision", enum("relation_state", *STATES), nullable=False),
        sa.Column("relation", enum("relation_kind", *RELATIONS), nullable=False),
        sa.Column("newer_claim_id", sa.Integer()),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("note", sa.Text()),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_relation_decisions"),
        sa.ForeignKeyConstraint(
            ["relation_id"],
            ["claim_relations.id"],
            name="fk_relation_decisions_relation_id_claim_relations",
        ),
    )
    op.create_index(
        "ix_relation_decisions_relation_id_id", "relation_decisions", ["relation_id", "id"]
    )
    op.create_table(
        "claim_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_claim_groups"),
    )
    op.create_table(
        "claim_group_members",
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("claim_id", name="pk_claim_group_members"),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name="fk_claim_group_members_claim_id_claims"
        ),
        sa.ForeignKeyConstraint(
            ["group_id"], ["claim_groups.id"], name="fk_claim_group_members_group_id_claim_groups"
        ),
    )
    op.create_index(
        "ix_claim_group_members_group_id_claim_id",
        "claim_group_members",
        ["group_id", "claim_id"],
    )


def downgrade() -> None:
    op.drop_table("claim_group_members")
    op.drop_table("claim_groups")
    op.drop_table("relation_decisions")
    op.drop_table("claim_relations")
