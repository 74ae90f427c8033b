"""Every CLI command that reads a file the user names answers bad bytes or odd JSON with exit code 2
and one ``error:`` line naming the file, never a traceback (or exit 0/1 when the input is valid).

Runs the real command tree in-process (Typer's CliRunner) against a fresh SQLite database.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from assetguard.cli.main import app

NOT_UTF8 = b"\xff\xfe\x00\x80garbage"

# (argv with FILE where the generated file goes, file suffix, exit codes a valid input may give)
COMMANDS: list[tuple[tuple[str, ...], str, frozenset[int]]] = [
    (("budgets", "put", "FILE"), ".yaml", frozenset({0})),
    (("budgets", "put", "FILE"), ".json", frozenset({0})),
    (("findings", "import", "FILE"), ".json", frozenset({0, 1})),
    (("findings", "import", "FILE"), ".jsonl", frozenset({0, 1})),
    (("findings", "automation", "add", "FILE"), ".json", frozenset({0})),
    (("rules", "put", "FILE"), ".yaml", frozenset({0})),
    (("tags", "import", "FILE"), ".csv", frozenset({0, 1})),
    (("tags", "policy", "put", "p", "FILE"), ".json", frozenset({0})),
    (("events", "test-pattern", "--pattern", "FILE", "--event", "EVENT"), ".json", frozenset({0, 1})),
    (("events", "test-pattern", "--pattern", "PATTERN", "--event", "FILE"), ".json", frozenset({0, 1})),
    (("events", "test-pattern", "--cases", "FILE"), ".jsonl", frozenset({0})),
    (("events", "put", "--entries", "FILE"), ".json", frozenset({0, 1})),
    (("events", "archive", "create", "arch", "--pattern", "FILE"), ".json", frozenset({0})),
    (("waf", "validate", "--acl", "FILE"), ".json", frozenset({0})),
    (("waf", "validate", "--acl", "FILE"), ".yaml", frozenset({0})),
    (("waf", "wcu", "FILE"), ".json", frozenset({0, 1})),
    (("waf", "validate", "--acl", "ACL", "--resources", "FILE"), ".json", frozenset({0})),
    (("waf", "evaluate", "--acl", "ACL", "--requests", "FILE"), ".jsonl", frozenset({0})),
    (("waf", "evaluate", "--acl", "ACL", "--requests", "FILE"), ".har", frozenset({0})),
    (("waf", "evaluate", "--acl", "ACL", "--requests", "FILE"), ".yaml", frozenset({0})),
    (("waf", "update-lists", "--anonymous", "FILE", "--dir", "IPSETS"), ".txt", frozenset({0})),
    (("scan", "vulns", "--sbom", "FILE"), ".json", frozenset({0, 1})),
    (("inventory", "collect", "--source", "sbom", "--path", "FILE"), ".json", frozenset({0})),
    (("inventory", "collect", "--source", "snapshot", "--path", "FILE"), ".json", frozenset({0})),
    (("vulndb", "import", "FILE"), ".json", frozenset({0, 1})),  # a batch: bad records are counted, exit 1
    (("cost", "ingest", "FILE"), ".csv", frozenset({0})),
    (("--config", "FILE", "config", "check"), ".yaml", frozenset({0})),
]

# a one-rule ACL: compiles in milliseconds, unlike the built-in ones
TINY_ACL = {"Name": "tiny", "DefaultAction": {"Allow": {}}, "VisibilityConfig": {
    "SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "tiny"},
    "Rules": [{"Name": "admin", "Priority": 0, "Action": {"Block": {}}, "VisibilityConfig": {
        "SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "admin"},
        "Statement": {"ByteMatchStatement": {"SearchString": "/admin", "FieldToMatch": {"UriPath": {}},
                                             "PositionalConstraint": "STARTS_WITH",
                                             "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}}}]}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
# keys the commands look for, so random documents reach past the first shape check
known_keys = st.sampled_from(["Budget", "BudgetName", "BudgetLimit", "Amount", "Findings", "Entries", "Source",
                              "DetailType", "Detail", "Name", "Rules", "DefaultAction", "VisibilityConfig",
                              "log", "entries", "request", "url", "tests", "pattern", "event", "name",
                              "targets", "tags", "Id", "SchemaVersion", "bomFormat", "components",
                              "configurationItems", "id", "affected", "database_url", "bus"])
shaped = st.recursive(
    st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.text(max_size=10)
    | st.sampled_from(["NaN", "Infinity", "1e400", "-1", "2024-01-01"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(known_keys | st.text(max_size=6), inner, max_size=5),
    max_leaves=15,
)
texts = st.one_of(
    json_values.map(json.dumps),
    shaped.map(json.dumps),
    st.lists(shaped.map(json.dumps), max_size=3).map("\n".join),
    st.text(max_size=200),
)
raw = st.one_of(
    st.binary(max_size=200),
    texts.map(lambda t: t.encode("utf-8")),
    st.tuples(texts, st.binary(min_size=1, max_size=4)).map(lambda p: p[0].encode("utf-8") + b"\xff" + p[1]),
)


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[CliEnv]:
    base = tmp_path_factory.mktemp("cli-inputs")
    shutil.copy(sqlite_template, base / "assetguard.db")
    (base / "acl.json").write_text(json.dumps(TINY_ACL), encoding="utf-8")
    (base / "pattern.json").write_text('{"source": ["a"]}', encoding="utf-8")
    (base / "event.json").write_text(json.dumps({"version": "0", "id": "1", "detail-type": "x", "source": "a",
                                                 "account": "1", "time": "2024-01-01T00:00:00Z", "region": "r",
                                                 "resources": [], "detail": {}}), encoding="utf-8")
    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith(("ASSETGUARD_", "AWS_"))}
    env.update({"ASSETGUARD_DATA_DIR": str(base / "data"),
                "ASSETGUARD_DATABASE_URL": f"sqlite:///{base / 'assetguard.db'}",
                "ASSETGUARD_SECRET_KEY": "test-secret-key-0123456789abcdef", "ASSETGUARD_TELEMETRY__ENABLED": "false",
                "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_ENDPOINT_URL": "http://127.0.0.1:9"})  # nothing reaches AWS
    yield CliEnv(base, env)


@dataclass(frozen=True)
class CliEnv:
    base: Path
    env: dict[str, str | None] = field(repr=False)


def run(cli: CliEnv, argv: tuple[str, ...], suffix: str, data: bytes) -> tuple[int, str, str, Any]:
    base = cli.base
    target = base / f"input{suffix}"
    target.write_bytes(data)
    args = [str(target) if a == "FILE" else str(base / "event.json") if a == "EVENT"
            else str(base / "pattern.json") if a == "PATTERN" else str(base / "acl.json") if a == "ACL"
            else str(base / "ipsets") if a == "IPSETS" else a
            for a in argv]
    result = CliRunner().invoke(app, args, env=cli.env, catch_exceptions=True)
    return result.exit_code, result.stdout, result.stderr, result.exception


def message_lines(out: str, err: str) -> list[str]:
    """The error's lines: stderr's, or stdout's for ``events test-pattern`` (its contract prints errors there)."""
    return [line for line in (err if err.strip() else out).splitlines() if line.strip()]


def check(cli: CliEnv, argv: tuple[str, ...], suffix: str, ok: frozenset[int], data: bytes) -> None:
    code, out, err, exc = run(cli, argv, suffix, data)
    shown = f"{' '.join(argv)} ({suffix}) with {data[:80]!r}: exit {code}\nstdout: {out[-500:]}\nstderr: {err[-800:]}"
    assert exc is None or isinstance(exc, SystemExit), f"{shown}\n{type(exc).__name__}: {exc}"
    assert "Traceback" not in out + err, shown
    assert code in ok | {2}, shown
    if code == 2:
        lines = message_lines(out, err)
        assert len(lines) == 1, shown


@pytest.mark.parametrize(("argv", "suffix", "ok"), COMMANDS, ids=lambda v: "-".join(v) if isinstance(v, tuple)
                         else (v if isinstance(v, str) else None))
def test_not_utf8_is_one_line_naming_the_byte(cli_env: CliEnv, argv: tuple[str, ...], suffix: str,
                                               ok: frozenset[int]) -> None:
    code, _out, err, exc = run(cli_env, argv, suffix, NOT_UTF8)
    assert exc is None or isinstance(exc, SystemExit), f"{type(exc).__name__}: {exc}"
    if argv[0] == "vulndb":  # the importer reports each undecodable record and goes on
        assert code == 1 and "offset 0" in _out + err, _out + err
        return
    assert code == 2, err
    lines = message_lines(_out, err)
    assert len(lines) == 1, err
    assert "input" in lines[0] and "offset 0" in lines[0] and "UTF-8" in lines[0], lines[0]


# One draw picks the command and the input: about 0.3 s a run, so 40 runs stay well inside a minute;
# examples accumulate across runs in the hypothesis database.
@settings(max_examples=40, deadline=None, derandomize=False,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(command=st.sampled_from(COMMANDS), data=raw)
def test_random_input_is_an_error_line_or_accepted(cli_env: CliEnv, command: tuple[tuple[str, ...], str,
                                                                                  frozenset[int]],
                                                    data: bytes) -> None:
    argv, suffix, ok = command
    check(cli_env, argv, suffix, ok, data)
