"""Proxy throughput with wrk, one run, same loopback upstream, for varied GETs, 300-byte and 8 KB form
POSTs and 2 KB JSON POSTs, every value changing per request:

1. direct to the upstream (nginx returning ``200 ok``, one worker);
2. ``assetguard waf proxy`` with ``--acl`` (``baseline`` by default; one process);
3. nginx + libmodsecurity3 + Debian CRS at paranoia level 1 (one worker; ``bench/modsec/nginx.sh``).

Equal CPU: the assetguard process and the nginx+ModSecurity worker are pinned to the same core
(``taskset``); wrk and the upstream share the other one. Then multi-process scaling of the
assetguard proxy (1 vs 2 processes, unpinned) is reported separately.

    .venv/bin/python -m bench.waf_proxy.run [--duration 10] [--connections 16] [--acl recommended] [--kinds JSON2K,FORM8K]

Needs: apt-get install -y wrk nginx libnginx-mod-http-modsecurity modsecurity-crs
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORK = Path("/tmp/assetguard-waf-proxy-bench")
UPSTREAM, AG, MODSEC, AG2 = 18191, 18192, 18193, 18194
PATH = "/user/search?q=<word><n>+shoes&page=<n>&sort=price&size=<n>&lang=en"
VARIED = Path(__file__).with_name("varied.lua")  # values and session cookie differ per request
POST = Path(__file__).with_name("post.lua")  # a 300-byte form to /user/profile, values differ per request
JSON2K = Path(__file__).with_name("json2k.lua")  # a ~2 KB JSON order, values differ per request
FORM8K = Path(__file__).with_name("form8k.lua")  # a ~8 KB form, words differ per request
SCRIPTS = {"GET": VARIED, "POST": POST, "JSON2K": JSON2K, "FORM8K": FORM8K}


def wait_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listening on {port}")


def start_upstream() -> subprocess.Popen[bytes]:
    WORK.mkdir(parents=True, exist_ok=True)
    conf = WORK / "upstream.conf"
    conf.write_text(f"""worker_processes 1;
pid {WORK}/upstream.pid;
error_log {WORK}/upstream-error.log warn;
daemon off;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  keepalive_requests 100000;
  client_body_temp_path {WORK}/tmp;
  server {{
    listen 127.0.0.1:{UPSTREAM};
    location / {{ return 200 "ok"; }}
  }}
}}
""")
    proc = subprocess.Popen(["taskset", "-c", "1", "nginx", "-c", str(conf), "-p", str(WORK), "-e",
                             str(WORK / "upstream-error.log")])
    wait_port(UPSTREAM)
    return proc


def start_assetguard(port: int, workers: int, pin: str | None, acl: str = "baseline") -> subprocess.Popen[bytes]:
    cmd = [str(ROOT / ".venv/bin/assetguard"), "waf", "proxy", "--acl", acl,
           "--upstream", f"http://127.0.0.1:{UPSTREAM}", "--listen", f"127.0.0.1:{port}", "--workers", str(workers)]
    if pin:
        cmd = ["taskset", "-c", pin, *cmd]
    env = dict(os.environ, ASSETGUARD_LOG_LEVEL="warning", ASSETGUARD_DATA_DIR=str(WORK / "data"))
    proc = subprocess.Popen(cmd, env=env, cwd=WORK, start_new_session=True)
    wait_port(port, 60)
    return proc


def modsec(action: str, port: int) -> None:
    subprocess.run(["bash", str(ROOT / "bench/modsec/nginx.sh"), action, "--port", str(port),
                    "--upstream", f"127.0.0.1:{UPSTREAM}", "--paranoia", "1", "--workers", "1"], check=True,
                   stdout=subprocess.DEVNULL)


def pin_modsec_worker(port: int, cpu: str) -> None:
    pid = (Path(f"/tmp/assetguard-modsec-{port}") / "nginx.pid").read_text().strip()
    for child in subprocess.run(["pgrep", "-P", pid], capture_output=True, text=True).stdout.split():
        subprocess.run(["taskset", "-p", "-c", cpu, child], check=True, stdout=subprocess.DEVNULL)


def wrk(port: int, duration: int, connections: int, pin: str | None = "1", script: Path = VARIED) -> dict[str, float]:
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(script)]
    cmd.append(f"http://127.0.0.1:{port}/")
    if pin:
        cmd = ["taskset", "-c", pin, *cmd]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    lat = {p: _ms(re.search(rf"\s{p}%\s+([\d.]+\w+)", out).group(1)) for p in ("50", "99")}  # type: ignore[union-attr]
    return {"rps": rps, "p50_ms": lat["50"], "p99_ms": lat["99"], "non2xx": float(non2xx.group(1)) if non2xx else 0.0}


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def stop(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--acl", default="baseline", choices=["baseline", "recommended"])
    parser.add_argument("--kinds", default=",".join(SCRIPTS),
                        help=f"comma-separated request kinds of {', '.join(SCRIPTS)}")
    args = parser.parse_args()
    kinds = [k.strip().upper() for k in args.kinds.split(",") if k.strip()]
    if unknown := [k for k in kinds if k not in SCRIPTS]:
        parser.error(f"--kinds: unknown kind(s) {', '.join(unknown)}; choose from {', '.join(SCRIPTS)}")
    upstream = start_upstream()
    procs: list[subprocess.Popen[bytes]] = []
    try:
        procs.append(start_assetguard(AG, 1, "0", args.acl))
        modsec("start", MODSEC)
        pin_modsec_worker(MODSEC, "0")
        labels = {"direct": "direct to upstream (nginx)", "assetguard": f"assetguard proxy, {args.acl}, 1 proc",
                  "modsec": "nginx+ModSecurity+CRS PL1, 1 worker"}
        print(f"wrk -t1 -c{args.connections} -d{args.duration}s, best of {args.rounds} interleaved rounds; "
              "proxies pinned to CPU 0, wrk + upstream on CPU 1")
        print(f"GET {PATH} with browser headers; POST /user/profile with a 300-byte form (POST) or an "
              "8,000-byte form (FORM8K); POST /user/orders with a ~2 KB JSON order (JSON2K); values differ per request")
        for kind in kinds:
            script = SCRIPTS[kind]
            results: dict[str, list[dict[str, float]]] = {"direct": [], "assetguard": [], "modsec": []}
            for _ in range(args.rounds):  # interleaved, so background load hits all three alike
                for name, port in (("direct", UPSTREAM), ("assetguard", AG), ("modsec", MODSEC)):
                    results[name].append(wrk(port, args.duration, args.connections, script=script))
            best = {name: max(runs, key=lambda r: r["rps"]) for name, runs in results.items()}
            print(f"\n{kind}: {'target':<34} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}")
            for name, r in best.items():
                print(f"{kind}: {labels[name]:<34} {r['rps']:9.0f} {r['p50_ms']:8.2f} {r['p99_ms']:8.2f} "
                      f"{r['non2xx']:8.0f}")
            ratio = best["assetguard"]["rps"] / best["modsec"]["rps"]
            print(f"{kind}: ratio assetguard / nginx+ModSecurity = {ratio:.2f}x (goal >= 4x)")
        stop(procs.pop())
        modsec("stop", MODSEC)
        print("\nmulti-process scaling (unpinned, wrk -t2):")
        for workers in (1, 2):
            proc = start_assetguard(AG2, workers, None)
            time.sleep(1.0)
            r = wrk(AG2, args.duration, args.connections * 2, pin=None)
            print(f"assetguard proxy, {workers} process(es): {r['rps']:9.0f} req/s, p50 {r['p50_ms']:.2f} ms, "
                  f"p99 {r['p99_ms']:.2f} ms")
            stop(proc)
    finally:
        for proc in procs:
            stop(proc)
        modsec("stop", MODSEC)
        upstream.terminate()
        upstream.wait(10)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
