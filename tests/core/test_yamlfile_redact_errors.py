"""YAML source maps, secret redaction and the error tree."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from pydantic import SecretStr

from assetguard.core import errors
from assetguard.core.clock import isoformat, new_id, utcnow
from assetguard.core.redact import REDACTED, redact
from assetguard.core.yamlfile import json_path, load_yaml, parse_yaml

DOC = """\
rules:
  - name: first
    pattern:
      source: [aws.s3]
  - name: second
    targets:
      - id: t1
"""


def test_source_map_names_lines_of_nested_keys_and_list_items() -> None:
    data, where = parse_yaml(DOC, "rules.yaml")
    assert data["rules"][1]["targets"][0]["id"] == "t1"
    assert where.line_of(("rules", 0, "pattern", "source")) == 4
    assert where.line_of(("rules", 1, "targets", 0, "id")) == 7
    assert where.describe(("rules", 1, "name")) == "rules.yaml:5 (rules[1].name)"
    # a missing key falls back to its nearest present parent
    assert where.describe(("rules", 1, "description")) == "rules.yaml:5 (rules[1].description)"
    assert json_path(("a", 0, "b")) == "a[0].b"


def test_syntax_errors_name_the_line(tmp_path: Path) -> None:
    with pytest.raises(errors.ValidationError) as err:
        parse_yaml("a: 1\nb: [2\nc: 3\n", "x.yaml")
    assert err.value.where is not None and err.value.where.startswith("x.yaml:")
    with pytest.raises(errors.ValidationError, match="cannot read file"):
        load_yaml(tmp_path / "missing.yaml")


def test_json_is_yaml(tmp_path: Path) -> None:
    path = tmp_path / "acl.json"
    path.write_text('{\n  "Name": "x",\n  "Rules": [\n    {"Priority": 1}\n  ]\n}\n')
    data, where = load_yaml(path)
    assert data["Rules"][0]["Priority"] == 1 and where.line_of(("Rules", 0, "Priority")) == 4


def test_redact_hides_secret_values_at_any_depth() -> None:
    value = {"smtp": {"password": "hunter2", "host": "mx"}, "targets": [{"webhook_url": "https://h/x"}],
             "api_key": "", "token_name": "ci", "note": SecretStr("s"), "Authorization": "Bearer x"}
    out = redact(value)
    assert out["smtp"] == {"password": REDACTED, "host": "mx"}
    assert out["targets"] == [{"webhook_url": REDACTED}]
    assert out["api_key"] == ""  # empty stays empty: nothing to hide, and the change stays visible
    assert out["token_name"] == REDACTED  # conservative: anything token-like is hidden
    assert out["note"] == REDACTED and out["Authorization"] == REDACTED
    assert value["smtp"]["password"] == "hunter2"  # a copy, not in place


def test_error_tree_and_where() -> None:
    for cls in (errors.ConfigError, errors.ValidationError, errors.NotFoundError, errors.ConflictError,
                errors.PluginError, errors.ProviderError, errors.DeliveryError, errors.AuthError):
        assert issubclass(cls, errors.AssetGuardError)
    err = errors.ValidationError("expected a list", where="rules.yaml:3 (rules[0].targets)")
    assert str(err) == "rules.yaml:3 (rules[0].targets): expected a list"
    delivery = errors.DeliveryError("429", code="Throttled", retryable=True, retry_after=2.0)
    assert (delivery.code, delivery.retryable, delivery.retry_after) == ("Throttled", True, 2.0)


def test_clock_helpers() -> None:
    now = utcnow()
    assert now.tzinfo is UTC and abs(datetime.now(UTC) - now) < timedelta(seconds=5)
    assert isoformat(datetime(2026, 1, 2, 5, 4, 3, 999, tzinfo=timezone(timedelta(hours=2)))) == "2026-01-02T03:04:03Z"
    assert len(new_id()) == 36 and new_id() != new_id()
