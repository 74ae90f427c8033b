"""The ``assetguard events test-pattern`` contract, run as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ASSETGUARD = [sys.executable, "-m", "assetguard.cli.main"]


def run(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ASSETGUARD_DATA_DIR": str(tmp_path / ".ag")}
    code = "from assetguard.cli.main import main; main()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=60)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    out = {}
    for name, doc in {
        "pattern": {"source": ["aws.ec2"], "detail": {"state": [{"anything-but": "stopped"}]}},
        "match": {"source": "aws.ec2", "detail": {"state": "running"}},
        "nomatch": {"source": "aws.ec2", "detail": {"state": "stopped"}},
        "bad": {"source": ["aws.ec2"], "detail": {"n": [{"numeric": [">", "x"]}]}},
    }.items():
        out[name] = tmp_path / f"{name}.json"
        out[name].write_text(json.dumps(doc))
    return out


def test_match_prints_true_exit_0(files: dict[str, Path], tmp_path: Path) -> None:
    r = run(["events", "test-pattern", "--pattern", str(files["pattern"]), "--event", str(files["match"])], tmp_path)
    assert (r.returncode, r.stdout) == (0, "true\n"), r.stderr


def test_no_match_prints_false_exit_1(files: dict[str, Path], tmp_path: Path) -> None:
    r = run(["events", "test-pattern", "--pattern", str(files["pattern"]), "--event", str(files["nomatch"])],
            tmp_path)
    assert (r.returncode, r.stdout) == (1, "false\n"), r.stderr


def test_invalid_pattern_prints_error_exit_2(files: dict[str, Path], tmp_path: Path) -> None:
    r = run(["events", "test-pattern", "--pattern", str(files["bad"]), "--event", str(files["match"])], tmp_path)
    assert r.returncode == 2
    assert "$.detail.n[0].numeric[1]" in r.stdout
    assert "Traceback" not in r.stdout + r.stderr


def test_unreadable_json_is_exit_2(files: dict[str, Path], tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{nope")
    r = run(["events", "test-pattern", "--pattern", str(broken), "--event", str(files["match"])], tmp_path)
    assert r.returncode == 2
    assert "not valid JSON" in r.stdout


def test_cases_jsonl(tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    lines = [
        {"pattern": {"a": [1]}, "event": {"a": 1}},
        {"pattern": {"a": [1]}, "event": {"a": 2}},
        {"pattern": {"a": []}, "event": {"a": 2}},
        {"pattern": {"a": [{"wildcard": "x**"}]}, "event": {"a": "x"}},
        {"pattern": {"$or": [{"a": ["x"]}, {"b": ["y"]}]}, "event": {"b": "y"}},
    ]
    cases.write_text("\n".join(json.dumps(line) for line in lines) + "\n\nnot json\n")
    r = run(["events", "test-pattern", "--cases", str(cases)], tmp_path)
    assert r.returncode == 0, r.stderr
    out = [json.loads(line) for line in r.stdout.splitlines()]
    assert out[0] == {"match": True}
    assert out[1] == {"match": False}
    assert out[2] == {"error": "$.a: empty arrays are not allowed in a pattern"}
    assert set(out[3]) == {"error"} and "$.a[0].wildcard" in out[3]["error"]
    assert out[4] == {"match": True}
    assert set(out[5]) == {"error"} and "line 7" in out[5]["error"]
    assert len(out) == 6
