"""Entities: what claims are about, their aliases, and the claims' links to them.

entities holds one row per entity (key unique: a Wikidata id, a slug, or ``name:``
and a normalised name); entity_aliases its names, each normalised form naming one
entity (unique), read by name lookups, the tag filter and ``GET /entities?q=``;
claim_entities a claim's links, one per (claim, entity, role), with an index on
(entity_id, claim_id) for an entity's claims. New tables only: nothing existing moves.

Revision ID: b5d17e3c9a40
Revises: e41a9c6b3f27
Create Date: 2026-12-03 19:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b5d17e3c9a40"
down_revision: str | None = "e41a9c6b3f27"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = ("person", "organization", "country", "place", "group", "other")
ROLES = ("subject", "speaker", "member", "organization", "location", "mentioned")


def _enum(values: tuple[str, ...], name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade() -> None:
    op.create_table(
        "entities",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("kind", _enum(KINDS, "entity_kind"), nullable=False),
        sa.Column("wikidata_id", sa.String(32)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entities")),
        sa.UniqueConstraint("key", name=op.f("uq_entities_key")),
    )
    op.create_table(
        "entity_aliases",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("alias", sa.String(300), nullable=False),
        sa.Column("normalised", sa.String(300), nullable=False),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["entities.id"], name=op.f("fk_entity_aliases_entity_id_entities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entity_aliases")),
        sa.UniqueConstraint("normalised", name=op.f("uq_entity_aliases_normalised")),
    )
    op.create_index(
        "ix_entity_aliases_entity_id_normalised", "entity_aliases", ["entity_id", "normalised"]
    )
    op.create_table(
        "claim_entities",
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("role", _enum(ROLES, "entity_role"), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_claim_entities_claim_id_claims")
        ),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["entities.id"], name=op.f("fk_claim_entities_entity_id_entities")
        ),
        sa.PrimaryKeyConstraint("claim_id", "entity_id", "role", name=op.f("pk_claim_entities")),
    )
    op.create_index(
        "ix_claim_entities_entity_id_claim_id", "claim_entities", ["entity_id", "claim_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_claim_entities_entity_id_claim_id", table_name="claim_entities")
    op.drop_table("claim_entities")
    op.drop_index("ix_entity_aliases_entity_id_normalised", table_name="entity_aliases")
    op.drop_table("entity_aliases")
    op.drop_table("entities")
