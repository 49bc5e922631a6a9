"""ticketing: work orders, units, users, events, extensions, returns, supervision, outbox

Revision ID: t0001_workorders
Revises:
Create Date: 2026-11-30 11:21:45.135136
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "t0001_workorders"
down_revision = None
branch_labels = ("ticketing",)
depends_on = None


# The default county list (editable later with `hotline unit add` or the database). Codes are stable
# identifiers; names follow the county's official department names as callers and agents say them.
DEFAULT_UNITS: list[tuple[str, str, str, str]] = [
    ("fgj", "县发展和改革局", "县发改局", "department"),
    ("scjgj", "县市场监督管理局", "县市场监管局", "department"),
    ("zrzyj", "县自然资源和规划局", "县自然资源和规划局", "department"),
    ("zjj", "县住房和城乡建设局", "县住建局", "department"),
    ("rsj", "县人力资源和社会保障局", "县人力社保局", "department"),
    ("swj", "县税务局", "县税务局", "department"),
    ("jskj", "县经济商务科技局", "县商务局/县经信局", "department"),
    ("sthj", "县生态环境分局", "县生态环境分局", "department"),
    ("jtj", "县交通运输局", "县交通运输局", "department"),
    ("zhzf", "县综合行政执法局", "县综合执法局", "department"),
    ("gaj", "县公安局", "县公安局", "department"),
    ("wjj", "县卫生健康局", "县卫健局", "department"),
    ("jyj", "县教育局", "县教育局", "department"),
    ("nyj", "县农业农村局", "县农业农村局", "department"),
    ("slj", "县水利局", "县水利局", "department"),
    ("yjj", "县应急管理局", "县应急管理局", "department"),
    ("sjj", "县行政服务中心", "县数据局(行政服务中心)", "department"),
    ("czj", "县财政局", "县财政局", "department"),
    ("ybj", "县医疗保障局", "县医保局", "department"),
    ("sfj", "县司法局", "县司法局", "department"),
    ("jrzx", "县金融工作中心", "县金融中心", "department"),
    ("wgl", "县文化和广电旅游体育局", "县文广旅体局", "department"),
    ("xfjy", "县消防救援大队", "县消防大队", "department"),
    ("gdgs", "县供电公司", "县供电公司", "department"),
    ("swjt", "县水务集团", "县水务集团", "department"),
    ("sdjd", "松源街道", "松源街道", "street"),
    ("pdjd", "屏都街道", "屏都街道", "street"),
    ("mzjd", "濛洲街道", "濛洲街道", "street"),
    ("htz", "黄田镇", "黄田镇", "township"),
    ("zkz", "竹口镇", "竹口镇", "township"),
    ("hdz", "荷地镇", "荷地镇", "township"),
    ("zxz", "左溪镇", "左溪镇", "township"),
    ("xlz", "贤良镇", "贤良镇", "township"),
    ("bszz", "百山祖镇", "百山祖镇", "township"),
]


def upgrade() -> None:
    op.create_table(
        "units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("short_name", sa.String(length=60), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("dingtalk_webhook", sa.String(length=500), nullable=True),
        sa.Column("dingtalk_secret", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_units")),
        sa.UniqueConstraint("code", name=op.f("uq_units_code")),
        sa.UniqueConstraint("name", name=op.f("uq_units_name")),
    )
    op.create_table(
        "work_order_numbers",
        sa.Column("day", sa.String(length=8), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_work_order_numbers")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("login", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column("api_token_hash", sa.String(length=64), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_users_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("api_token_hash", name=op.f("uq_users_api_token_hash")),
        sa.UniqueConstraint("login", name=op.f("uq_users_login")),
    )
    op.create_index(op.f("ix_users_unit_id"), "users", ["unit_id"], unique=False)

    op.create_table(
        "work_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("order_class", sa.String(length=20), nullable=True),
        sa.Column("service", sa.String(length=30), nullable=True),
        sa.Column("complexity", sa.String(length=20), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("caller_phone", sa.String(length=32), nullable=True),
        sa.Column("caller_name", sa.String(length=60), nullable=True),
        sa.Column("enterprise", sa.String(length=200), nullable=True),
        sa.Column("location", sa.String(length=200), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("call_id", sa.String(length=100), nullable=True),
        sa.Column("recording", sa.String(length=200), nullable=True),
        sa.Column("suggested_unit", sa.String(length=100), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("clock_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sign_due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("original_due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("replied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("answered_on_line", sa.Boolean(), nullable=False),
        sa.Column("repeat_of", sa.Integer(), nullable=True),
        sa.Column("repeat_reason", sa.String(length=300), nullable=True),
        sa.Column("reopened_count", sa.Integer(), nullable=False),
        sa.Column("returns_count", sa.Integer(), nullable=False),
        sa.Column("extended", sa.Boolean(), nullable=False),
        sa.Column("warned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("overdue_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rating", sa.String(length=30), nullable=True),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rating_channel", sa.String(length=20), nullable=True),
        sa.Column("rating_comment", sa.Text(), nullable=True),
        sa.Column("revisit_rating", sa.String(length=30), nullable=True),
        sa.Column("revisited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_work_orders_created_by_users")),
        sa.ForeignKeyConstraint(
            ["repeat_of"], ["work_orders.id"], name=op.f("fk_work_orders_repeat_of_work_orders")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_work_orders_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_orders")),
        sa.UniqueConstraint("number", name=op.f("uq_work_orders_number")),
    )
    op.create_index(op.f("ix_work_orders_call_id"), "work_orders", ["call_id"], unique=False)
    op.create_index(op.f("ix_work_orders_caller_phone"), "work_orders", ["caller_phone"], unique=False)
    op.create_index(op.f("ix_work_orders_due"), "work_orders", ["due"], unique=False)
    op.create_index(op.f("ix_work_orders_enterprise"), "work_orders", ["enterprise"], unique=False)
    op.create_index(op.f("ix_work_orders_received_at"), "work_orders", ["received_at"], unique=False)
    op.create_index(op.f("ix_work_orders_repeat_of"), "work_orders", ["repeat_of"], unique=False)
    op.create_index(op.f("ix_work_orders_state"), "work_orders", ["state"], unique=False)
    op.create_index(op.f("ix_work_orders_state_due"), "work_orders", ["state", "due"], unique=False)
    op.create_index(op.f("ix_work_orders_unit_state"), "work_orders", ["unit_id", "state"], unique=False)

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("work_order_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(length=100), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["work_order_id"], ["work_orders.id"], name=op.f("fk_outbox_work_order_id_work_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_outbox_idempotency_key")),
    )
    op.create_index(op.f("ix_outbox_pending"), "outbox", ["delivered_at", "next_attempt_at"], unique=False)
    op.create_index(op.f("ix_outbox_work_order_id"), "outbox", ["work_order_id"], unique=False)

    op.create_table(
        "supervision_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("work_order_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["opened_by"], ["users.id"], name=op.f("fk_supervision_orders_opened_by_users")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_supervision_orders_unit_id_units")),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_orders.id"],
            name=op.f("fk_supervision_orders_work_order_id_work_orders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_orders")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_supervision_orders_idempotency_key")),
    )
    op.create_index(
        op.f("ix_supervision_orders_opened_at"), "supervision_orders", ["opened_at"], unique=False
    )
    op.create_index(op.f("ix_supervision_orders_unit_id"), "supervision_orders", ["unit_id"], unique=False)
    op.create_index(
        op.f("ix_supervision_orders_work_order_id"), "supervision_orders", ["work_order_id"], unique=False
    )

    op.create_table(
        "work_order_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("work_order_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=100), nullable=False),
        sa.Column("actor_role", sa.String(length=20), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("state_before", sa.String(length=20), nullable=True),
        sa.Column("state_after", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_work_order_events_actor_id_users")),
        sa.ForeignKeyConstraint(
            ["work_order_id"], ["work_orders.id"], name=op.f("fk_work_order_events_work_order_id_work_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_order_events")),
    )
    op.create_index(
        op.f("ix_work_order_events_work_order_id"), "work_order_events", ["work_order_id"], unique=False
    )

    op.create_table(
        "work_order_extensions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("work_order_id", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        sa.Column("working_days", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("basis", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("old_due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("new_due", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_work_order_extensions_decided_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["users.id"], name=op.f("fk_work_order_extensions_requested_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_orders.id"],
            name=op.f("fk_work_order_extensions_work_order_id_work_orders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_order_extensions")),
    )
    op.create_index(
        op.f("ix_work_order_extensions_work_order_id"),
        "work_order_extensions",
        ["work_order_id"],
        unique=False,
    )

    op.create_table(
        "work_order_returns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("work_order_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("returned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("returned_by", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("redispatched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("redispatched_to", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["redispatched_to"], ["units.id"], name=op.f("fk_work_order_returns_redispatched_to_units")
        ),
        sa.ForeignKeyConstraint(
            ["returned_by"], ["users.id"], name=op.f("fk_work_order_returns_returned_by_users")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_work_order_returns_unit_id_units")),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_orders.id"],
            name=op.f("fk_work_order_returns_work_order_id_work_orders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_order_returns")),
    )
    op.create_index(op.f("ix_work_order_returns_unit_id"), "work_order_returns", ["unit_id"], unique=False)
    op.create_index(
        op.f("ix_work_order_returns_work_order_id"), "work_order_returns", ["work_order_id"], unique=False
    )

    units = sa.table(
        "units",
        sa.column("code", sa.String),
        sa.column("name", sa.String),
        sa.column("short_name", sa.String),
        sa.column("kind", sa.String),
        sa.column("active", sa.Boolean),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    now = datetime.now(UTC)
    if op.get_bind().dialect.name == "sqlite":
        now = now.replace(tzinfo=None)  # stored as naive UTC, like the models' UtcDateTime
    op.bulk_insert(
        units,
        [
            {"code": c, "name": n, "short_name": s, "kind": k, "active": True, "created_at": now}
            for c, n, s, k in DEFAULT_UNITS
        ],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_work_order_returns_work_order_id"), table_name="work_order_returns")
    op.drop_index(op.f("ix_work_order_returns_unit_id"), table_name="work_order_returns")

    op.drop_table("work_order_returns")
    op.drop_index(op.f("ix_work_order_extensions_work_order_id"), table_name="work_order_extensions")

    op.drop_table("work_order_extensions")
    op.drop_index(op.f("ix_work_order_events_work_order_id"), table_name="work_order_events")

    op.drop_table("work_order_events")
    op.drop_index(op.f("ix_supervision_orders_work_order_id"), table_name="supervision_orders")
    op.drop_index(op.f("ix_supervision_orders_unit_id"), table_name="supervision_orders")
    op.drop_index(op.f("ix_supervision_orders_opened_at"), table_name="supervision_orders")

    op.drop_table("supervision_orders")
    op.drop_index(op.f("ix_outbox_work_order_id"), table_name="outbox")
    op.drop_index(op.f("ix_outbox_pending"), table_name="outbox")

    op.drop_table("outbox")
    op.drop_index(op.f("ix_work_orders_unit_state"), table_name="work_orders")
    op.drop_index(op.f("ix_work_orders_state_due"), table_name="work_orders")
    op.drop_index(op.f("ix_work_orders_state"), table_name="work_orders")
    op.drop_index(op.f("ix_work_orders_repeat_of"), table_name="work_orders")
    op.drop_index(op.f("ix_work_orders_received_at"), table_name="work_orders")
    op.drop_index(op.f("ix_work_orders_enterprise"), table_name="work_orders")
    op.drop_index(op.f("ix_work_orders_due"), table_name="work_orders")
    op.drop_index(op.f("ix_work_orders_caller_phone"), table_name="work_orders")
    op.drop_index(op.f("ix_work_orders_call_id"), table_name="work_orders")

    op.drop_table("work_orders")
    op.drop_index(op.f("ix_users_unit_id"), table_name="users")

    op.drop_table("users")
    op.drop_table("work_order_numbers")
    op.drop_table("units")
