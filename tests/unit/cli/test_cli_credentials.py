"""Which credentials a command uses, the clouds.yaml reader, and `stratus up`'s admin."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cli_fakes import FAKE_PASSWORD, FAKE_PROJECT_ID, FakeCompute
from click.testing import CliRunner

from services.api.identity.bootstrap import write_clouds_yaml
from services.cli import credentials, up
from services.cli.credentials import Credentials, CredentialsError, Given
from services.cli.main import cli

AUTH_URL = "http://127.0.0.1:8774/identity/v3"


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.output


def clouds_file(path: Path, cloud: str, password: str, user: str = "admin") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "# a hand-written clouds.yaml\n"
        "clouds:\n"
        f"  {cloud}:\n"
        "    auth:\n"
        f"      auth_url: {AUTH_URL}\n"
        f"      username: '{user}'\n"
        f'      password: "{password}"  # not shared\n'
        "      project_name: admin\n"
        "    regions:\n"
        "      - RegionOne\n"
        "    interface: public\n"
    )
    return path


# --- the reader ---------------------------------------------------------------------------


def test_reads_what_write_clouds_yaml_writes(tmp_path: Path) -> None:
    password = "a \"quoted\" pass: word # not a comment 'x'"
    path = write_clouds_yaml(tmp_path / "clouds.yaml", AUTH_URL, password)
    document = credentials.read_clouds_yaml(path.read_text())
    cloud = document["clouds"]["stratus"]
    assert cloud["auth"] == {
        "auth_url": AUTH_URL,
        "username": "admin",
        "password": password,
        "project_name": "admin",
        "user_domain_name": "Default",
        "project_domain_name": "Default",
    }
    assert cloud["region_name"] == "RegionOne"
    assert credentials.admin_password(path) == password


def test_reads_comments_quotes_lists_and_empty_values(tmp_path: Path) -> None:
    path = clouds_file(tmp_path / "clouds.yaml", "other", "p'w")
    text = path.read_text() + "  empty:\n  last: 'it''s'\n"
    document = credentials.read_clouds_yaml(text)
    other = document["clouds"]["other"]
    assert other["auth"]["username"] == "admin"
    assert other["auth"]["password"] == "p'w"
    assert other["auth"]["auth_url"] == AUTH_URL
    assert other["regions"] == ["RegionOne"]
    assert document["clouds"]["empty"] == ""
    assert document["clouds"]["last"] == "it's"


@pytest.mark.parametrize(
    "text",
    ["clouds:\n  - a\n  b: c\n", "clouds:\n  a: 1\n    b: 2\n", "just words\n", "a: {b: c}\n"],
)
def test_what_the_reader_does_not_understand_names_the_line(text: str) -> None:
    with pytest.raises(ValueError, match="line"):
        credentials.read_clouds_yaml(text)


def test_a_broken_file_is_one_readable_error(tmp_path: Path) -> None:
    path = tmp_path / "clouds.yaml"
    path.write_text("clouds:\n  stratus: {auth: {}}\n")
    with pytest.raises(CredentialsError, match=f"cannot read {path}: line 2"):
        credentials.resolve(Given(), [path])


# --- the order ----------------------------------------------------------------------------


def test_a_token_comes_first(tmp_path: Path) -> None:
    path = clouds_file(tmp_path / "clouds.yaml", "stratus", "from-file")
    given = Given(token="tok", username="u", password="p", cloud="stratus")
    assert credentials.resolve(given, [path]) == Credentials(token="tok", source="OS_TOKEN")


def test_a_password_comes_before_any_clouds_yaml(tmp_path: Path) -> None:
    path = clouds_file(tmp_path / "clouds.yaml", "stratus", "from-file")
    creds = credentials.resolve(Given(password="p", project_name="demo"), [path])
    assert (creds.username, creds.password, creds.project_name) == ("admin", "p", "demo")
    with pytest.raises(CredentialsError, match="no password for user bob"):
        credentials.resolve(Given(username="bob"), [path])


def test_the_first_file_holding_the_cloud_wins(tmp_path: Path) -> None:
    first = clouds_file(tmp_path / "a" / "clouds.yaml", "elsewhere", "a-pass")
    second = clouds_file(tmp_path / "b" / "clouds.yaml", "stratus", "b-pass")
    third = clouds_file(tmp_path / "c" / "clouds.yaml", "stratus", "c-pass")
    missing = tmp_path / "none" / "clouds.yaml"
    creds = credentials.resolve(Given(), [missing, first, second, third])
    assert creds.password == "b-pass"
    assert creds.source == f"cloud stratus in {second}"
    assert credentials.resolve(Given(cloud="elsewhere"), [first, second]).password == "a-pass"
    with pytest.raises(CredentialsError, match="no credentials: run `stratus up` or set OS_CLOUD"):
        credentials.resolve(Given(cloud="nowhere"), [missing, first])


def test_search_paths_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home, data = Path.home(), up.default_data_dir()
    assert credentials.search_paths() == [
        tmp_path / "clouds.yaml",
        home / ".config" / "openstack" / "clouds.yaml",
        data / "clouds.yaml",
    ]
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(tmp_path / "mine.yaml"))
    assert credentials.search_paths()[0] == tmp_path / "mine.yaml"


@pytest.mark.parametrize("where", ["explicit", "cwd", "home", "data"])
def test_each_place_is_read_and_earlier_ones_win(
    where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    places = {
        "explicit": tmp_path / "explicit" / "clouds.yaml",
        "cwd": tmp_path / "clouds.yaml",
        "home": Path.home() / ".config" / "openstack" / "clouds.yaml",
        "data": up.default_data_dir() / "clouds.yaml",
    }
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(places["explicit"]))
    order = list(places)
    for name in order[order.index(where) :]:
        clouds_file(places[name], "stratus", f"{name}-pass")
    assert credentials.resolve(Given()).password == f"{where}-pass"


# --- commands -----------------------------------------------------------------------------


def test_a_command_uses_the_data_dirs_clouds_yaml(
    fake_api: tuple[FakeCompute, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, _ = fake_api
    monkeypatch.delenv("OS_USERNAME")
    monkeypatch.delenv("OS_PASSWORD")
    write_clouds_yaml(up.default_data_dir() / "clouds.yaml", AUTH_URL, FAKE_PASSWORD)
    code, output = invoke("flavor", "list")
    assert code == 0, output
    assert fake.identity is not None
    [(request, _)] = fake.identity.calls("Authenticate")
    assert (request.user_name, request.project_name) == ("admin", "admin")
    [(_, metadata)] = fake.calls("ListFlavors")
    assert metadata["x-auth-token"] == "token-of-admin-in-admin"


def test_flags_beat_the_environment(fake_api: tuple[FakeCompute, str]) -> None:
    fake, _ = fake_api
    code, output = invoke("flavor", "list", "--os-project-name", "demo")
    assert code == 0, output
    [(_, metadata)] = fake.calls("ListFlavors")
    assert metadata["x-auth-token"] == "token-of-admin-in-demo"
    code, output = invoke("--os-token", "given", "flavor", "list")
    assert code == 0, output
    assert fake.calls("ListFlavors")[-1][1]["x-auth-token"] == "given"
    assert fake.identity is not None and len(fake.identity.calls("Authenticate")) == 1


def test_a_wrong_password_is_one_line(fake_api: tuple[FakeCompute, str]) -> None:
    fake, _ = fake_api
    code, output = invoke("server", "list", "--os-password", "wrong")
    assert code == 1
    assert output.startswith("error: authentication failed: the user name or password is wrong")
    assert "Traceback" not in output
    assert not fake.calls("ListServers")


def test_no_credentials_at_all_is_one_line(
    fake_api: tuple[FakeCompute, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OS_USERNAME")
    monkeypatch.delenv("OS_PASSWORD")
    code, output = invoke("host", "list")
    assert code == 1
    assert output.startswith("error: no credentials: run `stratus up` or set OS_CLOUD")
    assert len(output.strip().splitlines()) == 1


def test_identity_commands_are_registered_and_share_the_credentials(
    fake_api: tuple[FakeCompute, str],
) -> None:
    fake, _ = fake_api
    code, output = invoke("project", "list", "--format", "json")
    assert code == 0, output
    assert FAKE_PROJECT_ID in output
    assert fake.identity is not None
    [(_, metadata)] = fake.identity.calls("ListProjects")
    assert metadata["x-auth-token"] == "token-of-admin-in-admin"
    code, output = invoke("token", "issue", "--format", "json")
    assert code == 0, output
    assert "token-of-admin-in-admin" in output


# --- stratus up's admin -------------------------------------------------------------------


def plan(tmp_path: Path) -> up.Plan:
    ports = up.Ports(
        rest=18774, api=18780, conductor=18781, scheduler=18782, etcd=12379, etcd_peer=12380,
        metrics_from=0,
    )  # fmt: skip
    return up.Plan(hosts=1, data_dir=tmp_path / "cloud", ports=ports, etcd_endpoints="")


def test_up_makes_an_admin_password_once_and_keeps_it(tmp_path: Path) -> None:
    first = up.with_admin_password(plan(tmp_path))
    path = first.clouds_yaml
    assert len(first.admin_password) >= 24
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert credentials.admin_password(path) == first.admin_password
    assert "http://127.0.0.1:18774/identity/v3" in path.read_text()
    again = up.with_admin_password(plan(tmp_path))
    assert again.admin_password == first.admin_password
    assert first.admin_password not in repr(again)


def test_only_the_api_gets_the_password_and_only_in_its_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(up.ADMIN_PASSWORD_ENV, "from-the-shell")
    cloud = up.with_admin_password(plan(tmp_path))
    for child in cloud.children():
        env = child.env or {}
        assert cloud.admin_password not in " ".join(child.argv())
        if child.name == "api":
            assert env[up.ADMIN_PASSWORD_ENV] == cloud.admin_password
        else:
            assert up.ADMIN_PASSWORD_ENV not in env
