"""The credentials chain and the resolved configuration (no network, no real HOME)."""

from __future__ import annotations

from pathlib import Path

import pytest

import lakefs
from lakefs import AwsIamSettings, NoAuthenticationFound, Timeout, ValidationError
from lakefs._config import ClientConfig, normalize_host, resolve_config

ENV_FULL = {
    "LAKECTL_SERVER_ENDPOINT_URL": "http://env-host:8000",
    "LAKECTL_CREDENTIALS_ACCESS_KEY_ID": "AKIAENV",
    "LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY": "env-secret-value",
}


def _lakectl(home: Path, text: str, name: str = ".lakectl.yaml") -> Path:
    path = home / name
    path.write_text(text)
    return path


FILE_FULL = """
credentials:
  access_key_id: AKIAFILE
  secret_access_key: file-secret-value
server:
  endpoint_url: http://file-host:8000
"""


def test_explicit_arguments_win_over_everything(tmp_path: Path) -> None:
    _lakectl(tmp_path, FILE_FULL)
    config = resolve_config(
        {"host": "arg-host:1", "access_key_id": "AKIAARG", "secret_access_key": "arg-secret"},
        {"host": "init-host", "access_key_id": "AKIAINIT", "secret_access_key": "init-secret"},
        ENV_FULL,
        tmp_path,
    )
    assert config.host == "http://arg-host:1/api/v1"
    assert (config.access_key_id, config.secret_access_key) == ("AKIAARG", "arg-secret")
    assert dict(config.sources)["host"] == "arguments to lakefs.Client()"


def test_init_wins_over_environment_and_file(tmp_path: Path) -> None:
    _lakectl(tmp_path, FILE_FULL)
    config = resolve_config(
        {},
        {"host": "init-host", "access_key_id": "AKIAINIT", "secret_access_key": "init-secret"},
        ENV_FULL,
        tmp_path,
    )
    assert config.host == "http://init-host/api/v1"
    assert config.access_key_id == "AKIAINIT"


def test_environment_wins_over_file(tmp_path: Path) -> None:
    _lakectl(tmp_path, FILE_FULL)
    config = resolve_config({}, None, ENV_FULL, tmp_path)
    assert config.host == "http://env-host:8000/api/v1"
    assert config.access_key_id == "AKIAENV"
    assert dict(config.sources)["access_key_id"].startswith("environment variables")


def test_file_alone(tmp_path: Path) -> None:
    _lakectl(tmp_path, FILE_FULL)
    config = resolve_config({}, None, {}, tmp_path)
    assert config.host == "http://file-host:8000/api/v1"
    assert (config.access_key_id, config.secret_access_key) == ("AKIAFILE", "file-secret-value")


def test_fields_merge_across_sources(tmp_path: Path) -> None:
    _lakectl(tmp_path, FILE_FULL)
    config = resolve_config({"host": "http://arg:9/"}, None, {}, tmp_path)
    assert config.host == "http://arg:9/api/v1"
    assert config.access_key_id == "AKIAFILE"  # credentials still come from the file
    config = resolve_config(
        {"timeout": 3, "retries": 0}, {"max_connections": 4}, ENV_FULL, tmp_path
    )
    assert config.timeout == Timeout(3, 3)
    assert (config.retries, config.max_connections) == (0, 4)


def test_design_aliases_and_their_priority(tmp_path: Path) -> None:
    env = {
        "LAKECTL_SERVER_ENDPOINT_URL": "h",
        "LAKECTL_ACCESS_KEY_ID": "AKIAALIAS",
        "LAKECTL_ACCESS_SECRET_KEY": "alias-secret",
    }
    assert resolve_config({}, None, env, tmp_path).access_key_id == "AKIAALIAS"
    both = {**env, **ENV_FULL}
    assert resolve_config({}, None, both, tmp_path).access_key_id == "AKIAENV"


def test_session_token_counts_as_credentials(tmp_path: Path) -> None:
    env = {"LAKECTL_SERVER_ENDPOINT_URL": "h", "LAKECTL_CREDENTIALS_SESSION_TOKEN": "tok-123456789"}
    config = resolve_config({}, None, env, tmp_path)
    assert config.session_token == "tok-123456789"
    assert config.access_key_id is None


def test_key_and_secret_come_as_a_pair(tmp_path: Path) -> None:
    _lakectl(tmp_path, FILE_FULL)
    with pytest.raises(ValidationError, match="secret_access_key is missing"):
        resolve_config({"access_key_id": "AKIAARG"}, None, {}, tmp_path)
    env = {**ENV_FULL}
    del env["LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY"]
    with pytest.raises(ValidationError, match="LAKECTL_CREDENTIALS_ACCESS_KEY_ID"):
        resolve_config({}, None, env, tmp_path)


def test_config_file_named_by_environment(tmp_path: Path) -> None:
    other = _lakectl(tmp_path, FILE_FULL.replace("file-host", "named-host"), "other.yaml")
    config = resolve_config({}, None, {"LAKECTL_CONFIG_FILE": str(other)}, tmp_path / "nohome")
    assert config.host == "http://named-host:8000/api/v1"
    with pytest.raises(ValidationError, match="not a file"):
        resolve_config({}, None, {"LAKECTL_CONFIG_FILE": str(tmp_path / "x.yaml")}, tmp_path)


@pytest.mark.parametrize("text", ["credentials: [unclosed", "- just\n- a list\n"])
def test_a_broken_config_file_names_the_file_not_its_contents(tmp_path: Path, text: str) -> None:
    path = _lakectl(tmp_path, text + "\n# secret-in-file\n")
    with pytest.raises(ValidationError) as info:
        resolve_config({}, None, {}, tmp_path)
    assert str(path) in str(info.value)
    assert "secret-in-file" not in str(info.value)


def test_the_config_file_is_parsed_safely(tmp_path: Path) -> None:
    _lakectl(tmp_path, "server: !!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(ValidationError):
        resolve_config({}, None, {}, tmp_path)


def test_nothing_anywhere_names_every_place_looked(tmp_path: Path) -> None:
    with pytest.raises(NoAuthenticationFound) as info:
        resolve_config({}, None, {}, tmp_path)
    text = str(info.value)
    for place in (
        "lakefs.Client()",
        "lakefs.init() (not called)",
        "LAKECTL_SERVER_ENDPOINT_URL",
        "LAKECTL_ACCESS_SECRET_KEY",
        str(tmp_path / ".lakectl.yaml"),
        "AWS IAM role",
    ):
        assert place in text
    with pytest.raises(NoAuthenticationFound, match="credentials"):
        resolve_config({"host": "h"}, None, {}, tmp_path)


def test_aws_iam_from_the_file_only_without_other_credentials(tmp_path: Path) -> None:
    _lakectl(
        tmp_path,
        """
server: {endpoint_url: "https://lakefs.example.com"}
credentials:
  provider:
    type: aws_iam
    aws_iam:
      token_ttl_seconds: 600
      token_request_headers: {X-Custom: v}
""",
    )
    config = resolve_config({}, None, {}, tmp_path)
    assert config.aws_iam == AwsIamSettings(600, 60, {"X-Custom": "v"})
    assert resolve_config({}, None, ENV_FULL, tmp_path).aws_iam is None


def test_unknown_options_are_a_type_error(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="hots"):
        resolve_config({"hots": "x"}, None, ENV_FULL, tmp_path)
    with pytest.raises(TypeError, match="unexpected keyword argument 'hots'"):
        lakefs.Client(hots="x")  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("localhost:8000", "http://localhost:8000/api/v1"),
        ("http://h:1/", "http://h:1/api/v1"),
        ("http://h/api/v1/", "http://h/api/v1"),
        ("https://h/prefix", "https://h/prefix/api/v1"),
    ],
)
def test_host_normalization(given: str, expected: str) -> None:
    assert normalize_host(given) == expected


@pytest.mark.parametrize("bad", ["", "ftp://h", "http://"])
def test_bad_hosts(bad: str) -> None:
    with pytest.raises(ValidationError):
        normalize_host(bad)


def test_repr_never_shows_secrets() -> None:
    config = ClientConfig(
        host="h",
        access_key_id="AKIAVISIBLE",
        secret_access_key="super-secret-value-1234",
        jwt_token="jwt-secret-token-5678",
        proxy="http://user:proxy-password@proxy:3128",
    )
    text = repr(config) + str(config) + repr(lakefs.Client.from_config(config))
    assert "super-secret-value" not in text
    assert "jwt-secret-token" not in text
    assert "proxy-password" not in text
    assert "AKIAVISIBLE" in text
    assert "****1234" in text


def test_with_options_returns_a_new_validated_config() -> None:
    config = ClientConfig(host="h", access_key_id="AKIA1", secret_access_key="s")
    changed = config.with_options(retries=1, timeout=(1, 2))
    assert (changed.retries, changed.timeout) == (1, Timeout(1, 2))
    assert config.retries == 5
    with pytest.raises(ValidationError):
        config.with_options(retries=-1)
    with pytest.raises(TypeError):
        config.with_options(retires=1)
    client = lakefs.Client.from_config(config)
    assert client.with_options(max_connections=3).config.max_connections == 3
    assert client.config.max_connections == 32


@pytest.mark.parametrize("bad", [0, -1, float("inf"), True, "3", (1,)])
def test_bad_timeouts(bad: object) -> None:
    with pytest.raises(ValidationError):
        Timeout.coerce(bad)  # type: ignore[arg-type]


def test_init_feeds_later_clients_and_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lakefs._client import _reset_default_client

    monkeypatch.setenv("HOME", str(tmp_path))
    for key in ENV_FULL:
        monkeypatch.delenv(key, raising=False)
    _reset_default_client()
    try:
        with pytest.raises(NoAuthenticationFound):
            lakefs.default_client()
        client = lakefs.init(host="init-host", access_key_id="AKIAI", secret_access_key="s1")
        assert lakefs.default_client() is client
        later = lakefs.Client(host="other-host")
        assert later.config.access_key_id == "AKIAI"
        assert later.config.host == "http://other-host/api/v1"
    finally:
        _reset_default_client()


def test_importing_lakefs_reads_nothing(tmp_path: Path) -> None:
    import subprocess
    import sys

    code = (
        "import builtins, socket\n"
        "opened = []\n"
        "real_open = builtins.open\n"
        "builtins.open = lambda f, *a, **k: (opened.append(str(f)), real_open(f, *a, **k))[1]\n"
        "socket.socket.connect = lambda *a: (_ for _ in ()).throw(OSError('network'))\n"
        "import lakefs\n"
        "print([f for f in opened if 'lakectl' in f])\n"
    )
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    _lakectl(tmp_path, FILE_FULL)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_ssl_ca_cert_may_be_a_path(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    client = lakefs.Client(
        host="https://h", access_key_id="a", secret_access_key="s", ssl_ca_cert=ca
    )
    assert client.config.ssl_ca_cert == str(ca)
    with pytest.raises(ValidationError, match="is not a file"):
        lakefs.Client(
            host="https://h", access_key_id="a", secret_access_key="s", ssl_ca_cert=tmp_path
        )
