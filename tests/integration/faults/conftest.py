"""The fault tests' one node (an Asterisk and its controller) on its own SQLite database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hotline.db import make_engine, make_sessionmaker
from tests.integration.faults.nodes import Node, create_tables, start_node


@pytest.fixture
async def node(tmp_path: Path, menu_prompts: Path) -> AsyncIterator[Node]:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/hotline.sqlite3")
    sessions = make_sessionmaker(engine)
    await create_tables(sessions)
    node = await start_node("node-a", tmp_path, menu_prompts, sessions)
    try:
        yield node
    finally:
        await node.stop()
        await node.fake.stop()
        await engine.dispose()
    assert not node.fake.violations, node.fake.violations
    assert not node.fake.problems, node.fake.problems
