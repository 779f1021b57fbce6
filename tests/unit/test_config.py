from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from services.runtime.config import CommonConfig, ConfigError, load


@dataclass(frozen=True)
class SampleConfig(CommonConfig):
    grpc_port: int = 8780
    ratio: float = 1.5
    enabled: bool = True


def test_defaults_run_without_any_source() -> None:
    config = load(SampleConfig, "sample", environ={})
    assert config.grpc_port == 8780
    assert config.etcd_endpoints == "127.0.0.1:2379"


def test_file_then_environment_then_flags_each_override_the_previous(tmp_path: Path) -> None:
    file = tmp_path / "stratus.toml"
    file.write_text('log_level = "debug"\n[sample]\ngrpc_port = 1\nratio = 2\n')
    config = load(
        SampleConfig,
        "sample",
        file=file,
        environ={"STRATUS_GRPC_PORT": "2", "STRATUS_ENABLED": "false"},
        flags={"ratio": "3.5"},
    )
    assert config.log_level == "debug"  # top-level keys apply to every service
    assert config.grpc_port == 2  # environment beats the file
    assert config.enabled is False
    assert config.ratio == 3.5  # flags beat everything


def test_another_services_table_does_not_apply(tmp_path: Path) -> None:
    file = tmp_path / "stratus.toml"
    file.write_text("[other]\ngrpc_port = 1\n")
    assert load(SampleConfig, "sample", file=file, environ={}).grpc_port == 8780


def test_unknown_key_names_the_key_and_the_known_ones(tmp_path: Path) -> None:
    file = tmp_path / "stratus.toml"
    file.write_text("[sample]\ngrpc_prot = 1\n")
    with pytest.raises(ConfigError, match=r"unknown config key 'grpc_prot'.*grpc_port"):
        load(SampleConfig, "sample", file=file, environ={})


def test_wrong_type_is_refused_with_the_field_name() -> None:
    with pytest.raises(ConfigError, match="'grpc_port': expected int"):
        load(SampleConfig, "sample", environ={"STRATUS_GRPC_PORT": "eighty"})


def test_unreadable_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config file"):
        load(SampleConfig, "sample", file=tmp_path / "missing.toml", environ={})
