"""pytest fixtures for the fake Asterisk: `fake_asterisk` and `fake_asterisk_factory`.

Options per test with the marker `@pytest.mark.fake_asterisk(time_factor=0.05, username=..., ...)`
(any FakeAsterisk keyword). A test fails at teardown if a request broke the ARI protocol (outside
`with fake.expect_violations():`) or if something inside the fake or a party's script failed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from .fake import FakeAsterisk


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "fake_asterisk(**options): keyword options of the fake_asterisk fixture (time_factor=0.02, ...)",
    )


def _verdict(fake: FakeAsterisk) -> list[str]:
    out = [f"protocol violation: {v}" for v in fake.violations]
    out += [f"fake Asterisk problem: {p}" for p in fake.problems]
    return out


@pytest.fixture
def fake_asterisk_sounds(tmp_path: Path) -> dict[str, Path]:
    """Sound folders by prefix: `sound:hotline/welcome` plays `<folder>/welcome.wav`. Override to point at prompts."""
    folder = tmp_path / "fake-asterisk-sounds"
    folder.mkdir(exist_ok=True)
    return {"hotline": folder}


@pytest.fixture
async def fake_asterisk_factory(
    request: pytest.FixtureRequest, tmp_path: Path, fake_asterisk_sounds: dict[str, Path]
) -> AsyncIterator[Callable[..., Awaitable[FakeAsterisk]]]:
    """Start as many fake Asterisks as a test needs (e.g. two controllers, two Asterisks)."""
    started: list[FakeAsterisk] = []
    marker = request.node.get_closest_marker("fake_asterisk")
    defaults: dict[str, Any] = dict(marker.kwargs) if marker else {}

    async def make(**options: Any) -> FakeAsterisk:
        kwargs = {**defaults, **options}
        kwargs.setdefault("sounds", fake_asterisk_sounds)
        kwargs.setdefault("recordings_dir", tmp_path / f"fake-asterisk-recordings-{len(started)}")
        kwargs.setdefault("time_factor", 0.02)
        fake = FakeAsterisk(**kwargs)
        await fake.start()
        started.append(fake)
        return fake

    yield make
    verdicts: list[str] = []
    for fake in started:
        await fake.stop()
        verdicts += _verdict(fake)
    if verdicts:
        pytest.fail("\n".join(verdicts), pytrace=False)


@pytest.fixture
async def fake_asterisk(
    request: pytest.FixtureRequest, fake_asterisk_factory: Callable[..., Awaitable[FakeAsterisk]]
) -> FakeAsterisk:
    """A started fake Asterisk (127.0.0.1, random port): give `fake_asterisk.url` to the ARI client.

    Options come from the `fake_asterisk` marker or from indirect parametrisation
    (`@pytest.mark.parametrize("fake_asterisk", [{"time_factor": 0.1}], indirect=True)`).
    """
    options: dict[str, Any] = dict(getattr(request, "param", None) or {})
    return await fake_asterisk_factory(**options)
