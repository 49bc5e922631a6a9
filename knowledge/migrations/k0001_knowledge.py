"""knowledge: entries, versions, hits, experts, and the dialect's full-text table

Revision ID: k0001_knowledge
Revises:
Create Date: 2026-11-30 11:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "k0001_knowledge"
down_revision = None
branch_labels = ("knowledge",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kb_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("unit_name", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("key_points", sa.JSON(), nullable=False),
        sa.Column("situations", sa.JSON(), nullable=False),
        sa.Column("policy_source", sa.String(length=500), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=True),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_entries")),
    )
    op.create_index(op.f("ix_kb_entries_unit_id"), "kb_entries", ["unit_id"], unique=False)
    op.create_index(op.f("ix_kb_entries_expires_on"), "kb_entries", ["expires_on"], unique=False)
    op.create_table(
        "kb_entry_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_fields", sa.JSON(), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["kb_entries.id"], name=op.f("fk_kb_entry_versions_entry_id_kb_entries")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_entry_versions")),
        sa.UniqueConstraint("entry_id", "version", name="uq_kb_entry_versions_entry_version"),
    )
    op.create_index(op.f("ix_kb_entry_versions_entry_id"), "kb_entry_versions", ["entry_id"], unique=False)
    op.create_table(
        "kb_entry_hits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("query", sa.String(length=200), nullable=True),
        sa.Column("call_id", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["kb_entries.id"], name=op.f("fk_kb_entry_hits_entry_id_kb_entries")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_entry_hits")),
    )
    op.create_index(op.f("ix_kb_entry_hits_entry_id"), "kb_entry_hits", ["entry_id"], unique=False)
    op.create_index(op.f("ix_kb_entry_hits_at"), "kb_entry_hits", ["at"], unique=False)
    op.create_table(
        "experts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("unit_name", sa.String(length=100), nullable=True),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("contact", sa.String(length=120), nullable=False),
        sa.Column("duty", sa.JSON(), nullable=False),
        sa.Column("backup_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["backup_id"], ["experts.id"], name=op.f("fk_experts_backup_id_experts"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experts")),
    )
    # The full-text index: its shape depends on the database (see knowledge/search.py).
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE kb_entries_fts USING fts5("
            "title, question, key_points, answer, tokenize = 'unicode61 remove_diacritics 2')"
        )
    else:
        op.create_table(
            "kb_entry_search",
            sa.Column("entry_id", sa.Integer(), nullable=False),
            sa.Column("document", postgresql.TSVECTOR(), nullable=False),
            sa.ForeignKeyConstraint(["entry_id"], ["kb_entries.id"], ondelete="CASCADE"),
            sa.PrimaryKeyConstraint("entry_id"),
        )
        op.create_index(
            "ix_kb_entry_search_document", "kb_entry_search", ["document"], postgresql_using="gin"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS kb_entries_fts")
    else:
        op.drop_table("kb_entry_search")
    op.drop_table("experts")
    op.drop_table("kb_entry_hits")
    op.drop_table("kb_entry_versions")
    op.drop_table("kb_entries")
