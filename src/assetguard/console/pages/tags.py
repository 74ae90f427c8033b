"""Tags page: find resources, select many, preview and apply bulk tag edits (the Tag Editor)."""

from __future__ import annotations

import time
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from markupsafe import Markup

from assetguard.console.charts import Series, stacked_bar_chart
from assetguard.console.page import ConsoleOperatorDep, ConsoleViewerDep, NavItem, Pager, PlatformDep, render
from assetguard.core.errors import AssetGuardError
from assetguard.tagging.editor import TagEditor
from assetguard.tagging.policy import evaluate
from assetguard.tagging.policy_store import effective_policy

router = APIRouter()
NAV = NavItem("Tags", "/tags")

FILTERS = ("region", "type", "tag", "missing", "search")
PAGE_SIZE = 100
COVERAGE_TTL = 10.0  # seconds


def _find(platform: Any, f: dict[str, str], limit: int | None = None) -> list[dict[str, Any]]:
    key, sep, value = f["tag"].partition("=")
    return TagEditor(platform).find(region=f["region"] or None, resource_type=f["type"] or None,
                                    tag_key=key or None, tag_value=value if sep else None,
                                    missing=f["missing"] or None, search=f["search"] or None, limit=limit)


def coverage_chart(platform: Any, items: list[dict[str, Any]]) -> Markup | None:
    """Per resource type: assets meeting the tag policy's required keys vs not (or tagged vs untagged)."""
    if not items:
        return None
    policy = effective_policy(platform)
    ok: dict[str, float] = {}
    bad: dict[str, float] = {}
    for item in items:
        rtype = item["resourceType"]
        tags = item.get("tags") or {}
        good = not evaluate(policy, rtype, tags) if policy.required or policy.rules else bool(tags)
        (ok if good else bad)[rtype] = (ok if good else bad).get(rtype, 0.0) + 1
    types = sorted(set(ok) | set(bad))
    labels = ("policy-compliant", "missing or wrong tags") if policy.required or policy.rules else ("tagged", "untagged")
    return stacked_bar_chart([t.split("::")[-1] for t in types],
                             [Series(labels[0], [ok.get(t, 0.0) for t in types], "#009e73"),
                              Series(labels[1], [bad.get(t, 0.0) for t in types], "#d55e00")],
                             title="Tag coverage by resource type", y_label="resources", legend=True, integer=True)


def _coverage(platform: Any, f: dict[str, str]) -> tuple[int, Markup | None]:
    """(matching resources, coverage chart), cached for a few seconds: it reads every matching asset."""
    key = "console.tags.coverage:" + urlencode(sorted(f.items()))
    cache: dict[str, tuple[float, int, Markup | None]] = platform.singleton("console.tags.coverage", dict)
    hit = cache.get(key)
    now = time.monotonic()
    if hit and now - hit[0] < COVERAGE_TTL:
        return hit[1], hit[2]
    items = _find(platform, f)
    value = (len(items), coverage_chart(platform, items))
    if len(cache) > 64:
        cache.clear()
    cache[key] = (now, *value)
    return value


def _page(request: Request, platform: Any, f: dict[str, str], *, status_code: int = 200, offset: int = 0,
          **extra: Any) -> HTMLResponse:
    # The table needs only this page's rows; without a "missing" filter the inventory stops there.
    end = offset + PAGE_SIZE + 1
    items, pager = Pager.of(_find(platform, f, limit=None if f["missing"] else end)[offset:end], offset=offset,
                            limit=PAGE_SIZE)
    total, chart = _coverage(platform, f)
    if extra.get("preview") or extra.get("errors") or extra.get("done") is not None:
        platform.singleton("console.tags.coverage", dict).clear()  # the data just changed or may change
        total, chart = _coverage(platform, f)
    return render(request, "tags/index.html", {
        "items": items, "pager": pager, "total": total, "f": f, "chart": chart,
        "filter_query": urlencode({k: v for k, v in f.items() if v}), **extra}, status_code=status_code)


@router.get("/tags", response_class=HTMLResponse)
def tags_page(request: Request, principal: ConsoleViewerDep, platform: PlatformDep, region: str = "",
              type: str = "", tag: str = "", missing: str = "", search: str = "", done: int | None = None,
              failed: int | None = None, offset: int = Query(0, ge=0, le=10**9)) -> HTMLResponse:
    f = {"region": region, "type": type, "tag": tag, "missing": missing, "search": search}
    return _page(request, platform, f, done=done, failed=failed, offset=offset)


@router.post("/tags/edit", response_model=None)
def edit_tags(request: Request, principal: ConsoleOperatorDep, platform: PlatformDep,
              arn: Annotated[list[str] | None, Form()] = None, set_tags: Annotated[str, Form()] = "",
              remove_keys: Annotated[str, Form()] = "", action: Annotated[str, Form()] = "preview",
              filter_query: Annotated[str, Form()] = "") -> HTMLResponse | RedirectResponse:
    from urllib.parse import parse_qs

    f = {k: (parse_qs(filter_query).get(k) or [""])[0] for k in FILTERS}
    errors: list[str] = []
    pairs: dict[str, str] = {}
    for n, line in enumerate(set_tags.splitlines(), start=1):
        if not line.strip():
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            errors.append(f"set, line {n}: expected KEY=VALUE, got {line.strip()!r}")
        else:
            pairs[key.strip()] = value.strip()
    remove = [k.strip() for k in remove_keys.split(",") if k.strip()]
    if not arn:
        errors.append("select at least one resource")
    if not pairs and not remove:
        errors.append("give tags to set (KEY=VALUE per line) or keys to remove")
    editor = TagEditor(platform)
    if not errors:
        try:
            changes = editor.apply(arn or [], set_tags=pairs, remove=remove, actor=principal,
                                   dry_run=action != "apply")
        except AssetGuardError as exc:
            errors.append(str(exc))
        else:
            if action == "apply":
                done = sum(c.status == "applied" for c in changes)
                failed = sum(c.status == "failed" for c in changes)
                query = urlencode({**{k: v for k, v in f.items() if v}, "done": done, "failed": failed})
                return RedirectResponse(f"/console/tags?{query}", status_code=303)
            return _page(request, platform, f, preview=changes, selected=set(arn or []), set_tags=set_tags,
                         remove_keys=remove_keys)
    return _page(request, platform, f, errors=errors, selected=set(arn or []), set_tags=set_tags,
                 remove_keys=remove_keys, status_code=400)
