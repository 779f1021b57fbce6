from __future__ import annotations

import json
import stat
from pathlib import Path

from services.api.identity.bootstrap import write_clouds_yaml


def test_clouds_yaml_follows_the_openstack_convention(tmp_path: Path) -> None:
    path = write_clouds_yaml(tmp_path / "clouds.yaml", "http://127.0.0.1:8774/identity/v3", 'p"w')
    text = path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    lines = text.splitlines()
    assert lines[:3] == ["clouds:", "  stratus:", "    auth:"]
    values = {
        line.split(":", 1)[0].strip(): line.split(":", 1)[1].strip()
        for line in lines
        if ": " in line
    }
    assert json.loads(values["auth_url"]) == "http://127.0.0.1:8774/identity/v3"
    assert json.loads(values["password"]) == 'p"w'
    assert json.loads(values["user_domain_name"]) == "Default"
    assert json.loads(values["project_domain_name"]) == "Default"
    assert json.loads(values["region_name"]) == "RegionOne"
    assert json.loads(values["interface"]) == "public"
    assert values["identity_api_version"] == "3"
