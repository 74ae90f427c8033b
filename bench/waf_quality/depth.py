"""Corpora for the classes where detection must reach deepest: NoSQL injection, path traversal, LFI.

    .venv/bin/python -m bench.waf_quality.depth [--no-modsec] [--acl recommended] [--out /tmp/waf_depth]

Each class has attacks and a legitimate counterpart, built from the techniques in
``depth_nosql.py`` and ``depth_paths.py`` (no public payload list is copied):

* every attack value and every legitimate value is placed in the seven places of
  :mod:`bench.waf_quality.placements` (query, path, header, cookie, form, JSON, multipart);
* whole requests whose structure is the attack or the legitimate use (``user[$ne]=`` parameter
  names, JSON login bodies with operator objects, OData query options, GraphQL documents, JSON
  Schema and Extended JSON bodies, CMS posts with relative links) are added as they are;
* prose that names system paths goes in bodies only (form, JSON, multipart); prose, code
  snippets, GraphQL and JSON documents about NoSQL go in the query and in bodies (no client sends
  them as a Referer, a cookie or a path segment).

The same WAFs as ``bench.waf_quality`` judge the same requests in one run (assetguard
``baseline`` and ``recommended``; nginx + ModSecurity CRS PL1 and PL2 unless ``--no-modsec``).
A request counts as blocked by assetguard when a rule blocks it (not the ACL's default action).

``recommended-own`` is ``recommended`` with every AWS-named group set to Count: what assetguard's
own groups block. AWS-named rules keep the scope AWS documents, so a legitimate request one of
them blocks would be blocked by AWS WAF too; the legitimate-pass goal is for what the own groups
add, and the mistakes file names the blocking rule of each.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.waf_quality import depth_nosql, depth_paths
from bench.waf_quality.placements import _BASE_HEADERS, PLACEMENTS, place

CLASSES = ("nosql", "traversal", "lfi")
BODY_PLACEMENTS = ("form", "json", "multipart")


def _whole(method: str, uri: str, body: str) -> dict[str, Any]:
    headers = [list(h) for h in _BASE_HEADERS]
    rec: dict[str, Any] = {"method": method, "uri": uri, "headers": headers}
    if body:
        kind = "application/json" if body.lstrip()[:1] in "{[" else "application/x-www-form-urlencoded"
        headers += [["Content-Type", kind], ["Content-Length", str(len(body.encode()))]]
        rec["body"] = body
    return rec


def _placed(values: list[str], cls: str, attack: bool, placements: tuple[str, ...] = PLACEMENTS) -> list[dict[str, Any]]:
    out = []
    for value, where in ((v, w) for v in values for w in placements):
        rec = place(value, where)
        if rec is not None:
            rec["meta"] = {"class": cls, "attack": attack, "placement": where, "payload": value}
            out.append(rec)
    return out


def _requests(rows: list[tuple[str, str, str, str]], cls: str, attack: bool) -> list[dict[str, Any]]:
    out = []
    for kind, method, uri, body in rows:
        rec = _whole(method, uri, body)
        rec["meta"] = {"class": cls, "attack": attack, "placement": "request:" + kind, "payload": uri + " " + body}
        out.append(rec)
    return out


def build(classes: tuple[str, ...] = CLASSES) -> list[dict[str, Any]]:
    """Every record of the chosen classes, each with ``meta`` (class, attack, placement, payload)."""
    records: list[dict[str, Any]] = []
    if "nosql" in classes:
        records += _placed(depth_nosql.attack_values(), "nosql", True)
        records += _requests(depth_nosql.attack_requests(), "nosql", True)
        records += _placed(depth_nosql.legit_values(), "nosql", False)
        records += _placed(depth_nosql.legit_text(), "nosql", False, ("query", *BODY_PLACEMENTS))
        records += _requests(depth_nosql.legit_requests(), "nosql", False)
    if "traversal" in classes:
        records += _placed(depth_paths.traversal_values(), "traversal", True)
        records += _placed(depth_paths.legit_values(), "traversal", False)
        records += _placed(list(depth_paths.LEGIT_PROSE), "traversal", False, BODY_PLACEMENTS)
        records += _requests(depth_paths.legit_requests(), "traversal", False)
    if "lfi" in classes:
        records += _placed(depth_paths.lfi_values(), "lfi", True)
    return records


ACL_CHOICES = ("baseline", "recommended", "recommended-own")


def _compiled(acl_name: str) -> Any:
    from assetguard.waf.documents import load_acl_document
    from assetguard.waf.engine import compile_acl, load_compiled_acl

    if acl_name != "recommended-own":
        return load_compiled_acl(acl_name)
    doc = load_acl_document("recommended")
    for rule in doc["Rules"]:
        statement = rule["Statement"].get("ManagedRuleGroupStatement")
        if statement and statement.get("VendorName") == "AWS":
            rule["OverrideAction"] = {"Count": {}}
    return compile_acl(doc)


def evaluate(acl_name: str, records: list[dict[str, Any]]) -> list[str]:
    """The blocking rule per record (``group/rule``), or "" when the request passes."""
    from assetguard.waf.request import HttpRequest

    acl = _compiled(acl_name)
    out = []
    for rec in records:
        verdict = acl.evaluate(HttpRequest.from_jsonl_record({k: v for k, v in rec.items() if k != "meta"}))
        hit = verdict.action == "BLOCK" and verdict.terminating_rule_id != "Default_Action"
        out.append(f"{verdict.terminating_rule_id}/{verdict.group_rule_id}" if hit else "")
    return out


def shares(records: list[dict[str, Any]], blocked: list[bool]) -> dict[str, dict[str, float]]:
    """Per class: % of attacks blocked and % of legitimate requests passed, overall and per placement."""
    cells: dict[tuple[str, str, bool], list[bool]] = defaultdict(list)
    for rec, hit in zip(records, blocked, strict=True):
        meta = rec["meta"]
        good = hit if meta["attack"] else not hit
        cells[(meta["class"], "ALL", meta["attack"])].append(good)
        where = meta["placement"].split(":")[0]
        cells[(meta["class"], where, meta["attack"])].append(good)
    out: dict[str, dict[str, float]] = defaultdict(dict)
    for (cls, where, attack), goods in sorted(cells.items()):
        out[cls][f"{'attack' if attack else 'legit'}:{where}"] = round(100.0 * sum(goods) / len(goods), 1)
        out[cls][f"n:{'attack' if attack else 'legit'}:{where}"] = len(goods)
    return dict(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-modsec", action="store_true", help="only the assetguard ACLs")
    parser.add_argument("--acl", action="append", choices=ACL_CHOICES)
    parser.add_argument("--class", dest="classes", action="append", choices=CLASSES)
    parser.add_argument("--out", type=Path, default=Path("/tmp/waf_depth"))
    parser.add_argument("--port", type=int, default=18190)
    args = parser.parse_args()
    records = build(tuple(args.classes or CLASSES))
    print(f"{len(records)} requests")
    wafs = list(args.acl or ACL_CHOICES)
    blocked: dict[str, list[bool]] = {}
    rules: dict[str, list[str]] = {}
    for acl in wafs:
        t = time.time()
        rules[acl] = evaluate(acl, records)
        blocked[acl] = [bool(r) for r in rules[acl]]
        print(f"{acl}: {time.time() - t:.1f}s")
    if not args.no_modsec:
        from bench.modsec.upstream import serve_in_thread
        from bench.waf_quality.__main__ import _modsec

        upstream = serve_in_thread(args.port + 1)
        try:
            for level in (1, 2):
                name = f"modsec-pl{level}"
                blocked[name], _ = _modsec(level, records, args.port, args.port + 1)
                wafs.append(name)
        finally:
            upstream.shutdown()
    table = {waf: shares(records, blocked[waf]) for waf in wafs}
    for cls in sorted({r["meta"]["class"] for r in records}):
        keys = [k for k in table[wafs[0]][cls] if not k.startswith("n:")]
        keys.sort(key=lambda k: (k.split(":")[0], k.split(":")[1] != "ALL", k))
        print(f"\n### {cls}\n\n| | n | " + " | ".join(wafs) + " |\n|---|---:|" + "---:|" * len(wafs))
        for key in keys:
            n = table[wafs[0]][cls]["n:" + key]
            print(f"| {key} | {n} | " + " | ".join(f"{table[w][cls][key]:.1f}" for w in wafs) + " |")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "summary.json").write_text(json.dumps(table, indent=2))
    last = wafs[0] if "recommended" not in wafs else "recommended"
    own = rules.get("recommended-own")
    with (args.out / "mistakes.jsonl").open("w") as fh:
        for i, (rec, rule) in enumerate(zip(records, rules[last], strict=True)):
            if bool(rule) != rec["meta"]["attack"]:
                fh.write(json.dumps({**rec["meta"], "rule": rule, "own_rule": own[i] if own else None,
                                     "uri": rec["uri"][:300], "body": (rec.get("body") or "")[:300]}) + "\n")


if __name__ == "__main__":
    main()
