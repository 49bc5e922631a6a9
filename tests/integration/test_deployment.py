"""The deployment files agree with each other and with the service's defaults."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from hotline.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
ASTERISK = ROOT / "deploy" / "asterisk"


def test_compose_file_is_valid_for_docker_compose() -> None:
    tool = shutil.which("docker-compose")
    if tool is None:
        pytest.fail("docker-compose (Debian package) is missing: scripts/system-deps.sh installs it")
    result = subprocess.run([tool, "config", "-q"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_every_config_file_the_compose_file_mounts_exists() -> None:
    compose = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    mounted = re.findall(r"\./(deploy/asterisk/[\w.]+):", compose)
    assert {"deploy/asterisk/ari.conf", "deploy/asterisk/extensions.conf"} <= set(mounted)
    for path in mounted:
        assert (ROOT / path).is_file(), path


def test_dialplan_sends_12345_into_the_controllers_stasis_app() -> None:
    dialplan = (ASTERISK / "extensions.conf").read_text(encoding="utf-8")
    app = Settings().ari_app
    assert f"HOTLINE_APP = {app}" in dialplan
    assert re.search(r"exten => 12345,1,.*\n\s*same => n,Goto\(hotline-entry,s,1\)", dialplan)
    assert "exten => s,1,Stasis(${HOTLINE_APP},inbound)" in dialplan
    # the operator's smoke test originates Local/stasis@hotline-local
    assert "exten => stasis,1,Stasis(${HOTLINE_APP},local)" in dialplan


def test_ari_user_matches_the_services_default_credentials() -> None:
    parser = configparser.ConfigParser(inline_comment_prefixes=(";",), strict=False)
    parser.read_string((ASTERISK / "ari.conf").read_text(encoding="utf-8"))
    defaults = Settings()
    assert parser["general"]["enabled"] == "yes"
    assert parser[defaults.ari_user]["password"] == defaults.ari_password
    http = configparser.ConfigParser(inline_comment_prefixes=(";",))
    http.read_string((ASTERISK / "http.conf").read_text(encoding="utf-8"))
    assert http["general"]["bindport"] == defaults.ari_url.rsplit(":", 1)[1]
