"""The deployment files agree with each other and with the service's defaults."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

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


# --- the `scale` profile: Kamailio over two Asterisk nodes, a controller per node (docs/operations.md) ---
KAMAILIO = ROOT / "deploy" / "kamailio"


def _compose_config(*profiles: str) -> dict[str, Any]:
    tool = shutil.which("docker-compose")
    if tool is None:
        pytest.fail("docker-compose (Debian package) is missing: scripts/system-deps.sh installs it")
    args = [tool, *(a for p in profiles for a in ("--profile", p)), "config"]
    result = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    loaded = yaml.safe_load(result.stdout)
    assert isinstance(loaded, dict)
    return loaded


def test_the_scale_profile_is_valid_and_stays_out_of_the_single_node_deployment() -> None:
    services = _compose_config("scale")["services"]
    # (docker-compose 1.29 lists every service in `config`; `up` without --profile starts only the unprofiled)
    scale = {name for name, service in services.items() if service.get("profiles") == ["scale"]}
    single = {name for name, service in services.items() if not service.get("profiles")}
    assert {"kamailio", "asterisk-a", "asterisk-b", "hotline-a", "hotline-b", "vosk-1", "vosk-2"} <= scale
    assert {"asterisk", "hotline", "postgres", "vosk"} == single
    assert scale | single == set(services)


def test_each_controller_serves_its_own_node_and_all_share_one_database_and_the_asr_pool() -> None:
    services = _compose_config("scale")["services"]
    nodes = {name: services[name]["environment"] for name in ("hotline-a", "hotline-b")}
    assert {env["HOTLINE_NODE"] for env in nodes.values()} == {"node-a", "node-b"}
    assert len({env["HOTLINE_DATABASE_URL"] for env in nodes.values()}) == 1
    assert all(env["HOTLINE_DATABASE_URL"].startswith("postgresql+asyncpg://") for env in nodes.values())
    ips = {name: services[name]["networks"]["scale"]["ipv4_address"] for name in ("asterisk-a", "asterisk-b")}
    assert nodes["hotline-a"]["HOTLINE_ARI_URL"] == f"http://{ips['asterisk-a']}:8088"
    assert nodes["hotline-b"]["HOTLINE_ARI_URL"] == f"http://{ips['asterisk-b']}:8088"
    for env in nodes.values():
        pool = [u.strip() for u in env["HOTLINE_ASR_URL"].split(",")]
        assert len(pool) >= 2 and {u.split("//")[1].split(":")[0] for u in pool} <= set(services)


def test_kamailio_dispatches_to_exactly_the_asterisk_nodes_and_the_nodes_trust_kamailio() -> None:
    services = _compose_config("scale")["services"]
    ips = {services[n]["networks"]["scale"]["ipv4_address"] for n in ("asterisk-a", "asterisk-b")}
    lines = [
        line.split() for line in (KAMAILIO / "dispatcher.list").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert {fields[0] for fields in lines} == {"1"}  # set 1, the one kamailio.cfg selects from
    assert {fields[1] for fields in lines} == {f"sip:{ip}:5060" for ip in ips}
    kamailio_ip = services["kamailio"]["networks"]["scale"]["ipv4_address"]
    node_pjsip = (KAMAILIO / "pjsip-node.conf").read_text(encoding="utf-8")
    assert f"match = {kamailio_ip}" in node_pjsip and f"contact = sip:{kamailio_ip}:5060" in node_pjsip
    assert "#include pjsip-hotline.conf" in node_pjsip
    mounts = services["asterisk-a"]["volumes"]
    assert any(str(m).split(":")[1] == "/etc/asterisk/pjsip-hotline.conf" for m in mounts)
    assert any(str(m).split(":")[1] == "/etc/asterisk/pjsip.conf" and "pjsip-node.conf" in str(m) for m in mounts)
    cfg = (KAMAILIO / "kamailio.cfg").read_text(encoding="utf-8")
    assert 'loadmodule "dispatcher.so"' in cfg and 'ds_select_dst("1"' in cfg and 'ds_is_from_list("1")' in cfg


def test_kamailio_accepts_its_configuration(tmp_path: Path) -> None:
    tool = shutil.which("kamailio") or shutil.which("kamailio", path="/usr/sbin:/usr/local/sbin")
    if tool is None:
        pytest.fail("kamailio (Debian package) is missing: scripts/system-deps.sh installs it")
    cfg = (KAMAILIO / "kamailio.cfg").read_text(encoding="utf-8")
    local = tmp_path / "kamailio.cfg"
    local.write_text(cfg.replace("/etc/kamailio/dispatcher.list", str(KAMAILIO / "dispatcher.list")), encoding="utf-8")
    result = subprocess.run([tool, "-c", "-f", str(local)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    broken = tmp_path / "broken.cfg"  # the check is real: a misspelt module parameter is refused
    broken.write_text(local.read_text(encoding="utf-8").replace('"ds_ping_interval"', '"ds_ping_intervl"'))
    assert subprocess.run([tool, "-c", "-f", str(broken)], capture_output=True, check=False).returncode != 0


def test_every_asterisk_node_has_its_own_systemname_so_channel_ids_never_collide() -> None:
    services = _compose_config("scale")["services"]
    names = []
    for node in ("asterisk-a", "asterisk-b"):
        [conf] = [str(m).split(":")[0] for m in services[node]["volumes"] if str(m).split(":")[1] == "/etc/asterisk/asterisk.conf"]
        parser = configparser.ConfigParser(inline_comment_prefixes=(";",))
        parser.read_string(Path(conf).read_text(encoding="utf-8"))
        names.append(parser["options"]["systemname"])
    assert len(set(names)) == 2
    controllers = {services[h]["environment"]["HOTLINE_NODE"] for h in ("hotline-a", "hotline-b")}
    assert set(names) == controllers  # the node's name is the same for Asterisk and its controller
