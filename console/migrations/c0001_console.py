"""console: browser sessions, sign-in audit, demo-account marks

Revision ID: c0001_console
Revises:
Create Date: 2026-11-30 12:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "c0001_console"
down_revision = None
branch_labels = ("console",)
depends_on = "t0001_workorders"


def upgrade() -> None:
    op.create_table(
        "console_sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", name="fk_console_sessions_user_id_users"), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ip", sa.String(64)),
        sa.Column("user_agent", sa.String(300)),
        sa.PrimaryKeyConstraint("id", name="pk_console_sessions"),
    )
    op.create_index("ix_console_sessions_user_id", "console_sessions", ["user_id"])
    op.create_index("ix_console_sessions_expires_at", "console_sessions", ["expires_at"])
    op.create_table(
        "console_sign_ins",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("login", sa.String(60), nullable=False),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", name="fk_console_sign_ins_user_id_users")),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ip", sa.String(64)),
        sa.Column("user_agent", sa.String(300)),
        sa.Column("success", sa.Boolean, nullable=False),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_console_sign_ins"),
    )
    op.create_index("ix_console_sign_ins_login", "console_sign_ins", ["login"])
    op.create_index("ix_console_sign_ins_at", "console_sign_ins", ["at"])
    op.create_index("ix_console_sign_ins_ip", "console_sign_ins", ["ip"])
    op.create_table(
        "console_demo_accounts",
        sa.Column(
            "user_id",
            sa.Integer,
            sa.ForeignKey("users.id", name="fk_console_demo_accounts_user_id_users"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name="pk_console_demo_accounts"),
    )


def downgrade() -> None:
    op.drop_table("console_demo_accounts")
    op.drop_table("console_sign_ins")
    op.drop_table("console_sessions")
