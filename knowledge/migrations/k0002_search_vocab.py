"""knowledge: SQLite FTS5 vocabulary table (document frequency of each indexed word)

Revision ID: k0002_search_vocab
Revises: k0001_knowledge
Create Date: 2026-11-30 11:56:00
"""

from __future__ import annotations

from alembic import op

revision = "k0002_search_vocab"
down_revision = "k0001_knowledge"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Search drops words found in most entries (办理, 企业) before ranking: they cost the most and say the least.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE VIRTUAL TABLE kb_entries_fts_vocab USING fts5vocab(kb_entries_fts, 'row')")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS kb_entries_fts_vocab")
