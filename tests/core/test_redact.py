"""The one masking serializer: what it hides, how a masked document comes back, free-text scrubbing."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from assetguard.core.errors import ValidationError
from assetguard.core.redact import (
    REDACTED,
    contains_mask,
    mask_text,
    redact,
    restore_masked,
    scrub_text,
    secret_values,
)

SLACK = "https://hooks.slack.com/services/T0PLANT/B0PLANT/planted0slack0path"


def test_slack_webhook_url_is_a_secret_under_any_key_and_inside_text() -> None:
    assert redact({"url": SLACK, "notes": [f"posting to {SLACK} now"]}) == {
        "url": REDACTED, "notes": [f"posting to {REDACTED} now"]}
    assert "planted0slack0path" not in mask_text(f"error: {SLACK}/x")


def test_tokens_and_url_passwords_are_masked_by_value() -> None:
    out = redact({"note": "bot xoxb-123456-abcdef-PLANTED", "db": "postgresql://app:pl4nted@db:5432/x",
                  "plain": "http://example.com/a:b@c", "token_like": "ag_0123abcd_" + "x" * 43})
    assert out["note"] == f"bot {REDACTED}"
    assert out["db"] == f"postgresql://app:{REDACTED}@db:5432/x"
    assert out["plain"] == "http://example.com/a:b@c"  # no user-info, nothing to hide
    assert out["token_like"] == REDACTED


def test_declared_secret_fields_and_secretstr() -> None:
    assert redact({"url": "https://siem.example/hook", "id": "x"}, {"url"}) == {"url": REDACTED, "id": "x"}
    assert redact({"anything": SecretStr("s")}) == {"anything": REDACTED}
    assert redact({"password": None, "secret": ""}) == {"password": None, "secret": ""}  # nothing to hide


def test_restore_masked_keeps_stored_secrets_and_refuses_a_mask_with_nothing_behind_it() -> None:
    stored = {"url": "https://siem.example/hook", "secret": "s3cr3t", "db": "postgresql://a:pw@h/x"}
    shown = redact(stored, {"url"})
    assert contains_mask(shown)
    assert restore_masked({**shown, "timeout": 5}, stored) == {**stored, "timeout": 5}
    with pytest.raises(ValidationError, match=r"targets\[0\]\.config\.secret") as err:
        restore_masked({"secret": REDACTED}, {"url": "x"}, "targets[0].config")
    assert "send the secret itself" in str(err.value)
    with pytest.raises(ValidationError, match="password"):
        restore_masked({"db": f"postgresql://a:{REDACTED}@other/x"}, stored)
    assert restore_masked({"secret": "new"}, stored) == {"secret": "new"}  # a real value replaces


def test_secret_values_and_scrub_text_hide_a_url_quoted_by_its_path() -> None:
    config = {"url": "https://siem.example/hooks/PLANTEDPATH?k=1", "secret": SecretStr("hmac-PLANTED"), "n": 1}
    found = secret_values(config, {"url"})
    assert set(found) == {"https://siem.example/hooks/PLANTEDPATH?k=1", "hmac-PLANTED"}
    message = "HTTPSConnectionPool(host='siem.example', port=443): Max retries with url: /hooks/PLANTEDPATH?k=1"
    assert "PLANTED" not in scrub_text(message, found)
    assert scrub_text("nothing secret here", found) == "nothing secret here"


def test_config_show_output_fed_back_is_refused_naming_the_key_and_line(tmp_path: Path) -> None:
    """``config show`` masks secrets; a file made from its output must not store ``***`` as a secret."""
    import yaml

    from assetguard.core.errors import ConfigError
    from assetguard.core.redact import public_settings
    from assetguard.core.settings import load_settings

    original = tmp_path / "assetguard.yaml"
    original.write_text("smtp:\n  host: mx\n  password: real-smtp-password\n"
                        "bus_url: nats://app:real-nats-pw@127.0.0.1:4222\n")
    shown = public_settings(load_settings(original))
    assert shown["smtp"]["password"] == REDACTED and shown["bus_url"] == f"nats://app:{REDACTED}@127.0.0.1:4222"
    copied = tmp_path / "copied.yaml"
    copied.write_text(yaml.safe_dump({"smtp": shown["smtp"]}, sort_keys=False))
    with pytest.raises(ConfigError) as err:
        load_settings(copied)
    line = next(i for i, text in enumerate(copied.read_text().splitlines(), 1) if "password" in text)
    assert f"copied.yaml:{line} (smtp.password): this is a masked secret" in str(err.value)
    copied.write_text(f"bus_url: {shown['bus_url']}\n")
    with pytest.raises(ConfigError, match=r"copied.yaml:1 \(bus_url\): this is a masked secret"):
        load_settings(copied)
    copied.write_text("slack:\n  bot_token: '**********'\n")  # pydantic's own mask too
    with pytest.raises(ConfigError, match=r"slack.bot_token"):
        load_settings(copied)


def test_url_password_runs_to_the_last_at_sign_and_one_rule_serves_service_urls() -> None:
    from assetguard.core.urls import mask_url

    assert mask_text("postgresql://app:p@ss@db:5432/x") == f"postgresql://app:{REDACTED}@db:5432/x"
    assert mask_text("nats://u:p@h1:4222,nats://u:q@h2:4222") == f"nats://u:{REDACTED}@h1:4222,nats://u:{REDACTED}@h2:4222"
    assert mask_url("redis://:pw@h:6379/0") == mask_text("redis://:pw@h:6379/0") == f"redis://:{REDACTED}@h:6379/0"


def test_secret_query_parameters_are_masked_and_come_back_only_onto_the_stored_value() -> None:
    presigned = "https://b.s3.amazonaws.com/k?X-Amz-Credential=AKIA%2F1&X-Amz-Signature=deadbeef&X-Amz-Expires=60"
    shown = mask_text(presigned)
    assert shown == f"https://b.s3.amazonaws.com/k?X-Amz-Credential={REDACTED}&X-Amz-Signature={REDACTED}&X-Amz-Expires=60"
    assert mask_text("a=1&b=2") == "a=1&b=2" and mask_text("password=hunter2") == f"password={REDACTED}"
    assert contains_mask({"endpoint": shown})
    assert restore_masked({"endpoint": shown}, {"endpoint": presigned}) == {"endpoint": presigned}
    with pytest.raises(ValidationError, match="endpoint"):
        restore_masked({"endpoint": shown.replace("b.s3", "c.s3")}, {"endpoint": presigned})


def test_a_literal_mask_stored_under_an_ordinary_key_comes_back_unchanged() -> None:
    """``{"prefix": "***"}`` is shown as it is; sending it back is not a missing secret."""
    assert restore_masked({"prefix": REDACTED, "n": 1}, {"prefix": REDACTED}) == {"prefix": REDACTED, "n": 1}
