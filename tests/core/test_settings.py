"""Settings: YAML file + ASSETGUARD_* environment; every mistake names the key and the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from assetguard.core.errors import ConfigError
from assetguard.core.settings import Settings, config_path, load_settings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "assetguard.yaml"
    path.write_text(text)
    return path


@pytest.fixture(autouse=True)
def _no_ambient_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("ASSETGUARD_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


def test_defaults_without_a_file() -> None:
    settings = load_settings()
    assert settings.api.port == 8080 and settings.api.host == "127.0.0.1"
    assert settings.resolved_database_url == "sqlite:///.assetguard/assetguard.db"
    assert settings.public_url == "http://127.0.0.1:8080"


def test_file_values_and_nested_sections(tmp_path: Path) -> None:
    path = write(tmp_path, "log_level: debug\napi:\n  port: 9000\nsmtp:\n  host: mail\n  recipients: [a@b.c]\n")
    settings = load_settings(path)
    assert settings.log_level == "debug" and settings.api.port == 9000
    assert settings.smtp.host == "mail" and settings.smtp.recipients == ["a@b.c"]


def test_wrong_type_names_key_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "log_level: info\napi:\n  host: 127.0.0.1\n  port: eighty\n")
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    message = str(err.value)
    assert f"{path}:4 (api.port)" in message and "integer" in message
    assert "\n" not in message


def test_unknown_key_names_key_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "api:\n  port: 8080\n  prot: 8081\n")
    with pytest.raises(ConfigError, match=r"assetguard\.yaml:3 \(api\.prot\): unknown key"):
        load_settings(path)
    path = write(tmp_path, "\n\nbus_ulr: nats://x\n")
    with pytest.raises(ConfigError, match=r"assetguard\.yaml:3 \(bus_ulr\): unknown key"):
        load_settings(path)


def test_error_in_a_list_item_names_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "aws:\n  accounts:\n    - account_id: '1'\n    - role_arn: x\n")
    with pytest.raises(ConfigError, match=r"assetguard\.yaml:4 \(aws\.accounts\[1\]\.account_id\): Field required"):
        load_settings(path)


def test_bad_yaml_syntax_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "api:\n  port: 8080\n   host: [oops\n")
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    assert f"{path}:3" in str(err.value) and "invalid YAML" in str(err.value)


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"assetguard\.yaml:1: the top level must be a mapping"):
        load_settings(write(tmp_path, "- a\n- b\n"))


def test_missing_explicit_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.yaml")


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "log_level: info\napi:\n  port: 9000\n  host: 0.0.0.0\n")
    monkeypatch.setenv("ASSETGUARD_API__PORT", "9100")
    monkeypatch.setenv("ASSETGUARD_LOG_LEVEL", "warning")
    monkeypatch.setenv("ASSETGUARD_DATABASE_URL", "postgresql://u@h/db")
    settings = load_settings(path)
    assert settings.api.port == 9100 and settings.api.host == "0.0.0.0"  # env wins; the rest of the section stays
    assert settings.log_level == "warning" and settings.resolved_database_url == "postgresql://u@h/db"


def test_bad_environment_value_names_the_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "api:\n  port: 9000\n")
    monkeypatch.setenv("ASSETGUARD_API__PORT", "lots")
    with pytest.raises(ConfigError, match=r"environment ASSETGUARD_API__PORT: .*integer"):
        load_settings(path)


def test_config_path_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert config_path() is None
    write(tmp_path, "{}\n")
    assert config_path() == Path("assetguard.yaml")
    monkeypatch.setenv("ASSETGUARD_CONFIG", "/etc/ag.yaml")
    assert config_path() == Path("/etc/ag.yaml")
    assert config_path("x.yaml") == Path("x.yaml")


@pytest.mark.parametrize("secret", ["changeme", "password", "short", "SECRET"])
def test_placeholder_secret_is_rejected(tmp_path: Path, secret: str) -> None:
    path = write(tmp_path, f"log_level: info\nsecret_key: {secret}\n")
    with pytest.raises(ConfigError, match=r"assetguard\.yaml:2 \(secret_key\): .*placeholder"):
        load_settings(path)


def test_secret_is_generated_once_with_private_permissions(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "d")
    first = settings.secret()
    assert len(first) >= 32 and settings.secret() == first
    assert ((tmp_path / "d" / "secret.key").stat().st_mode & 0o777) == 0o600
    assert "secret_key=SecretStr('**********')" in repr(Settings(secret_key="a-real-secret-of-some-length"))  # type: ignore[arg-type]
