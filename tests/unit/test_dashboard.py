"""The Grafana dashboard file is what its generator writes, and imports as Grafana expects."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

GRAFANA = Path(__file__).resolve().parents[2] / "deploy" / "grafana"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_dashboard", GRAFANA / "build_dashboard.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_the_committed_dashboard_is_what_the_generator_writes() -> None:
    assert (GRAFANA / "stratus.json").read_text() == _generator().render()


def test_every_panel_has_a_unique_id_a_place_and_queries_on_the_chosen_datasource() -> None:
    document = json.loads((GRAFANA / "stratus.json").read_text())
    panels = document["panels"]
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids))
    assert document["uid"] and document["title"]
    for panel in panels:
        assert set(panel["gridPos"]) == {"h", "w", "x", "y"}
        assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["expr"].strip() and target["refId"]
    names = {v["name"] for v in document["templating"]["list"]}
    assert "datasource" in names
