"""The alert rules in deploy/prometheus: valid for Prometheus, actionable, and unit-tested.

promtool (from Debian's `prometheus` package, which `./dev` installs) checks the rule file
and runs its unit tests, alerts_test.yml. Beside that, every alert must say how urgent it is
and what to do, wait before firing, and have at least one test case in which it fires and
one in which it stays silent.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

PROMETHEUS_DIR = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"
RULES = PROMETHEUS_DIR / "alerts.yml"
RULE_TESTS = PROMETHEUS_DIR / "alerts_test.yml"
SEVERITIES = {"critical", "warning"}


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool is missing: install Debian's prometheus package (./dev does)")
    return subprocess.run(
        [promtool, *args], capture_output=True, text=True, timeout=120, check=False
    )


def _alerts() -> list[dict[str, Any]]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


def _cases() -> list[dict[str, Any]]:
    tests = yaml.safe_load(RULE_TESTS.read_text())["tests"]
    return [case for test in tests for case in test.get("alert_rule_test", [])]


def test_promtool_accepts_the_rule_file() -> None:
    result = _promtool("check", "rules", str(RULES))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_scrape_config_loads_the_rules() -> None:
    result = _promtool("check", "config", str(PROMETHEUS_DIR / "prometheus.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert (
        "alerts.yml"
        in yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())["rule_files"]
    )


def test_every_rule_unit_test_passes() -> None:
    result = _promtool("test", "rules", str(RULE_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("alert", _alerts(), ids=lambda rule: rule["alert"])
def test_every_alert_waits_says_how_urgent_and_what_to_do(alert: dict[str, Any]) -> None:
    assert alert.get("for"), "an alert without `for` fires on a single bad scrape"
    assert alert["labels"]["severity"] in SEVERITIES
    assert alert["annotations"]["summary"].strip()
    assert len(alert["annotations"]["description"].split()) >= 20, "say what to check"


@pytest.mark.parametrize("alert", _alerts(), ids=lambda rule: rule["alert"])
def test_every_alert_has_a_case_that_fires_and_one_that_does_not(alert: dict[str, Any]) -> None:
    cases = [case for case in _cases() if case["alertname"] == alert["alert"]]
    assert any(case.get("exp_alerts") for case in cases), "no case in which it fires"
    assert any(not case.get("exp_alerts") for case in cases), "no case in which it is silent"
