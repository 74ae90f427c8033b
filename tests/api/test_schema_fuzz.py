"""schemathesis against a real ``assetguard api`` on loopback: no 5xx, and no answer the schema does not allow.

The server runs as its own process with a fresh SQLite data directory and no cloud credentials
(a provider call answers 409 naming the missing setting). Its admin token is named
``ci/schemathesis``: ``DELETE /tokens/{name}`` cannot reach a name with a ``/`` in it (the path
parameter is one segment; ``%2F`` is decoded before routing and then matches no route), so the
fuzzer exercises token revocation on every other name without ever revoking its own credentials.
The failed-authentication throttle is raised out of reach: the run sends many deliberately bad
tokens (``ignored_auth``), and a 429 there would only hide the routes behind it.

Every check runs (schemathesis' default, which a ``--checks`` option would override for every
operation) and the test fails on any of them: any 5xx, an undocumented
status, a body, content type or header that does not match, a schema-violating request that was
accepted, and a schema-valid request that was refused (``positive_data_acceptance``).
``schema_fuzz_hooks`` keeps rules that span several values (unique names, ``end`` after ``start``)
out of the generated bodies. :data:`UNCHECKED_ACCEPTANCE` lists the operations whose bodies carry a
grammar JSON Schema does not state; only ``positive_data_acceptance`` is off for them, and why is
written next to each.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.test_up import BIN, clean_env, free_port

ST = Path(sys.executable).with_name("st")
REPO = Path(__file__).resolve().parents[2]
EXAMPLES_PER_OPERATION = 8
# ASSETGUARD_SCHEMA_FUZZ_SECONDS=300 turns the run into a time-boxed one: fuzzing and stateful testing
# repeat until the budget is spent (schemathesis --max-time), with the same checks and exceptions.
MAX_SECONDS = int(os.environ.get("ASSETGUARD_SCHEMA_FUZZ_SECONDS") or 0)
HOOKS = "tests.api.schema_fuzz_hooks"
# positive_data_acceptance is off for these operations only: their schema states the document's
# structure, and the domain checks a grammar inside it that JSON Schema does not describe.
UNCHECKED_ACCEPTANCE = {
    "PUT /waf/acls/{name}": "WAFv2 statement grammar, rule names and priorities unique, CustomResponseBodyKey "
                            "naming a body, capacity (WCU) limits: checked when the ACL compiles",
    "PUT /waf/rule-groups/{name}": "the same for a rule group's rules, and Capacity at least their WCU",
    "PUT /rules/{name}": "the EventBridge pattern grammar (operators, numeric ranges, wildcards) and each "
                         "target type's own config",
    "POST /events/test-pattern": "the EventBridge pattern grammar",
    "POST /events/archives": "the EventBridge pattern grammar",
    "POST /tags/import": "a CSV table: an arn column, tag: columns with valid keys, rows as wide as the header",
    "POST /vulns/import": "whether the URL's host resolves to a vetted global address is known when it is fetched",
}


def _config(path: Path) -> Path:
    """A schemathesis.toml turning positive_data_acceptance off for :data:`UNCHECKED_ACCEPTANCE`."""
    blocks = [f'[[operations]]\ninclude-name = "{label}"\nchecks.positive_data_acceptance.enabled = false\n'
              for label in UNCHECKED_ACCEPTANCE]
    path.write_text("\n".join(blocks), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def api_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    base = tmp_path_factory.mktemp("schema-fuzz")
    env = {k: v for k, v in clean_env().items() if not k.startswith("AWS_")}  # no credentials: provider errors
    env.update(ASSETGUARD_DATA_DIR=str(base / "data"), ASSETGUARD_API__AUTH_FAILURE_LIMIT="1000000",
               ASSETGUARD_TELEMETRY__ENABLED="false", ASSETGUARD_LOG_LEVEL="warning",
               AWS_CONFIG_FILE=str(base / "none"), AWS_SHARED_CREDENTIALS_FILE=str(base / "none"),
               AWS_EC2_METADATA_DISABLED="true")
    created = subprocess.run([str(BIN), "token", "create", "--name", "ci/schemathesis", "--role", "admin"],
                             cwd=base, env=env, capture_output=True, text=True, timeout=120)
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip().splitlines()[-1]
    port = free_port()
    log = (base / "api.log").open("w")
    proc = subprocess.Popen([str(BIN), "api", "--host", "127.0.0.1", "--port", str(port)], cwd=base, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                assert proc.poll() is None, (base / "api.log").read_text()
                assert time.monotonic() < deadline, "the API did not start within 120 s"
                time.sleep(0.3)
        yield url, token, base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _summarise(ndjson: Path) -> tuple[int, Counter[str], Counter[str], list[str]]:
    """(cases, failures per check, 5xx per operation, one example line per failing check/operation)."""
    cases, failures, server_errors, examples = 0, Counter[str](), Counter[str](), []
    seen: set[tuple[str, str]] = set()
    for line in ndjson.read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        finished = event.get("ScenarioFinished")
        if not finished:
            continue
        recorder = finished.get("recorder") or {}
        label = recorder.get("label", "?")
        cases += len(recorder.get("cases") or {})
        for interaction in (recorder.get("interactions") or {}).values():
            response = interaction.get("response") or {}
            if int(response.get("status_code") or 0) >= 500:
                server_errors[label] += 1
        for checks in (recorder.get("checks") or {}).values():
            for check in checks:
                if check.get("status") != "failure":
                    continue
                name = check.get("name", "?")
                failures[name] += 1
                if (label, name) not in seen:
                    seen.add((label, name))
                    message = ((check.get("failure_info") or {}).get("failure") or {}).get("message", "")
                    examples.append(f"{label} {name}: {' '.join(message.split())[:300]}")
    return cases, failures, server_errors, examples


@pytest.mark.slow  # about 4-5 min on a loaded 2-core box: 115 operations, 8 examples each plus coverage and stateful
@pytest.mark.timeout(900 + MAX_SECONDS)
def test_schemathesis_finds_no_5xx_and_no_schema_violation(api_server: tuple[str, str, Path]) -> None:
    url, token, base = api_server
    report = base / "report"
    command = [str(ST), "--config-file", str(_config(base / "schemathesis.toml")), "run", f"{url}/openapi.json",
               "--max-examples",
               str(EXAMPLES_PER_OPERATION), "--continue-on-failure", "--workers", "2", "--seed", "23",
               "--header", f"Authorization: Bearer {token}", "--request-timeout", "60", "--max-response-time", "60",
               "--suppress-health-check", "all", "--no-color", "--report", "ndjson", "--report-dir", str(report)]
    if MAX_SECONDS:
        command += ["--max-time", str(MAX_SECONDS)]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": HOOKS,
           "PYTHONPATH": os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])}
    done = subprocess.run(command, cwd=base, env=env, capture_output=True, text=True, timeout=840 + MAX_SECONDS)
    [ndjson] = report.glob("*.ndjson")
    cases, failures, server_errors, examples = _summarise(ndjson)
    violations = {name: n for name, n in failures.items() if name != "not_a_server_error"}
    summary = f"{cases} cases; 5xx: {dict(server_errors)}; violations: {violations}"
    print(summary)
    assert cases > 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert not server_errors, summary + "\n" + (base / "api.log").read_text()[-4000:]
    assert not violations, summary + "\n" + "\n".join(examples)


def test_a_non_utf8_json_body_is_a_4xx(api_server: tuple[str, str, Path]) -> None:
    import httpx

    url, token, _base = api_server
    bad = base64.b64decode("//4AgGdhcmJhZ2U=")  # \xff\xfe\x00\x80garbage
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    for method, path in [("PUT", "/cost/budgets"), ("POST", "/findings/insights/saved"), ("POST", "/tags/autotag"),
                         ("POST", "/events")]:
        answer = httpx.request(method, url + path, content=bad, headers=headers, timeout=30)
        assert answer.status_code == 400, (path, answer.status_code, answer.text)
        assert "not UTF-8 JSON: byte 0x" in answer.json()["detail"], answer.text
    csv = httpx.post(url + "/tags/import", content=bad, headers={**headers, "Content-Type": "text/csv"}, timeout=30)
    assert csv.status_code == 400 and "offset 0" in csv.json()["detail"], csv.text
