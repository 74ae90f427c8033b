"""Console pages. Each module here is one page (or a few related pages) of the web console.

How to add a page
-----------------

1. Create ``src/assetguard/console/pages/<domain>.py`` defining ``router`` (a
   ``fastapi.APIRouter``, no prefix needed) and ``NAV`` (a :class:`~assetguard.console.nav.NavItem`).
   The module is discovered automatically; its routes are mounted under ``/console``.
2. Put templates in ``src/assetguard/console/templates/<domain>/`` and extend ``base.html``.
3. Add tests in ``tests/console/`` (``client`` + a session, or the ``browser_page`` fixture).

Example (``pages/cost.py``)::

    from __future__ import annotations

    from fastapi import APIRouter, Form, Request
    from fastapi.responses import HTMLResponse, RedirectResponse

    from assetguard.console.charts import Series, line_chart
    from assetguard.console.page import ConsoleOperatorDep, ConsoleViewerDep, NavItem, PlatformDep, render

    router = APIRouter()
    NAV = NavItem("Cost", "/cost")          # label + path relative to /console; shown at /console/cost

    @router.get("/cost")
    def cost_page(request: Request, principal: ConsoleViewerDep, platform: PlatformDep) -> HTMLResponse:
        budgets = BudgetService(platform).list()
        chart = line_chart(["2026-11-01", "2026-11-02"], [Series("actual", [3.0, 4.5])], title="Spend")
        return render(request, "cost/index.html", {"budgets": budgets, "chart": chart})

    @router.post("/cost/budgets/{name}/delete")
    def delete_budget(request: Request, name: str, principal: ConsoleOperatorDep,
                      platform: PlatformDep) -> RedirectResponse:
        BudgetService(platform).delete(name, actor=principal)      # audited by the service
        return RedirectResponse("/console/cost", status_code=303)  # post/redirect/get

``templates/cost/index.html``::

    {% extends "base.html" %}
    {% block title %}Cost{% endblock %}
    {% block content %}
      <h1>Cost</h1>
      {{ chart }}                                   {# charts are safe Markup: no |safe needed #}
      <form method="post" action="{{ console_url('/cost/budgets/' ~ b.name ~ '/delete') }}">
        {{ csrf_input }}<button type="submit">Delete</button>
      </form>
    {% endblock %}

Platform, principal, sessions and CSRF
--------------------------------------

- The platform: ``platform: PlatformDep`` (same dependency as the API). Call your domain's
  service with it; never query another domain's tables.
- The principal: every page takes ``ConsoleViewerDep`` (a viewer session is required; a visitor
  without one is redirected to ``/login?next=<page>``). Form posts take ``ConsoleOperatorDep`` or
  ``ConsoleAdminDep``: 401 without a session, 403 for a weaker role. Pass the principal to your
  service as ``actor`` so the change is audited under the user's token name.
- CSRF: every ``<form method="post">`` must contain ``{{ csrf_input }}``; the dependencies reject a
  post without the right token (403). Scripts calling the JSON API with the session cookie send
  the same value (``{{ csrf_token }}``) in the ``X-CSRF-Token`` header.
- ``render(request, template, context)`` also provides ``principal``, ``nav``,
  ``query_url(**changes)`` (current URL with query parameters replaced, for filters and paging),
  ``console_url(path)`` and the ``time`` / ``pretty_json`` filters. For lists, use
  :class:`assetguard.console.page.Pager` and include ``_pager.html``.
- Navigation order is canonical: System, Security, Traces, Cost, Assets, Tags, Findings, WAF,
  Rules, Audit; pass ``NavItem(..., order=N)`` only for a label outside that list.
- Charts: :mod:`assetguard.console.charts` (server-side SVG; see the Audit page for an example).
- Styling: ``static/console.css`` (classes ``card``, ``filters``, ``badge ok|bad|warn``, ``tiles``,
  ``muted``). No external CDN: the console must work without internet access.
"""
