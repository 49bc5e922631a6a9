"""The service on its embedded defaults: recordings are fetched over ARI, and a database not yet
upgraded is reported by /healthz without taking the service down."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from hotline.app import create_app
from hotline.settings import Settings
from recordings.domain.model import RecordingKind
from recordings.web import RECORDINGS


async def test_defaults_fetch_over_ari_and_an_unmigrated_database_is_only_reported(
    aiohttp_client, settings: Settings
) -> None:
    client = await aiohttp_client(create_app(settings))
    resp = await client.get("/healthz")
    body = await resp.json()
    assert resp.status == 200
    assert body["recordings"]["source"] == "ari"
    assert body["recordings"]["ok"] is False and "error" in body["recordings"]
    assert client.app[RECORDINGS].store.root == settings.recordings_dir


async def test_asterisk_on_this_host_means_picking_up_from_its_folder(
    aiohttp_client, settings: Settings, tmp_path: Path
) -> None:
    local = replace(settings, asterisk_recordings_dir=tmp_path / "spool", recordings_retention="mix=30")
    client = await aiohttp_client(create_app(local))
    service = client.app[RECORDINGS]
    assert service.source.kind == "spool"
    assert service.policy.days[RecordingKind.MIX] == 30


def test_the_settings_are_read_from_the_environment() -> None:
    env = {"HOTLINE_ASTERISK_RECORDINGS_DIR": "/var/spool/asterisk/recording", "HOTLINE_RECORDINGS_RETENTION": "mix=730"}
    settings = Settings.from_env(env)
    assert settings.asterisk_recordings_dir == Path("/var/spool/asterisk/recording")
    assert settings.recordings_retention == "mix=730"
    assert Settings.from_env({}).asterisk_recordings_dir is None
