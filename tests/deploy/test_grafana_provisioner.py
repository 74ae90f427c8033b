"""The Grafana provisioning Lambda against a real HTTP receiver standing in for the workspace."""

from __future__ import annotations

import json
import sys
import threading
import types
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


class _Grafana(BaseHTTPRequestHandler):
    posts: list[tuple[str, str, dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        _Grafana.posts.append((self.path, self.headers.get("Authorization", ""), body))
        code = 409 if self.path == "/api/datasources" and len(_Grafana.posts) > 4 else 200
        self.send_response(code)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *_a: Any) -> None:
        return


def test_handler_creates_datasource_and_every_dashboard(monkeypatch: Any) -> None:
    sys.path.insert(0, str(ROOT / "deploy" / "aws"))
    from assetguard_cdk.grafana_provisioner import HANDLER

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Grafana)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    dashboards = {f"grafana/{p.name}": p.read_bytes()
                  for p in (ROOT / "deploy" / "observability" / "grafana" / "dashboards").glob("*.json")}
    calls: list[str] = []
    responses: list[tuple[str, dict[str, Any]]] = []

    class Grafana:
        def describe_workspace(self, workspaceId: str) -> dict[str, Any]:
            return {"workspace": {"endpoint": f"http://127.0.0.1:{server.server_address[1]}"}}

        def create_workspace_api_key(self, **kw: Any) -> dict[str, str]:
            calls.append("create-key")
            return {"key": "k-123"}

        def delete_workspace_api_key(self, **kw: Any) -> None:
            calls.append("delete-key")

    class S3:
        def get_object(self, Bucket: str, Key: str) -> dict[str, Any]:
            import io

            return {"Body": io.BytesIO(dashboards[Key])}

    boto3 = types.ModuleType("boto3")
    boto3.client = lambda name: Grafana() if name == "grafana" else S3()  # type: ignore[attr-defined]
    cfn = types.ModuleType("cfnresponse")
    cfn.SUCCESS, cfn.FAILED = "SUCCESS", "FAILED"  # type: ignore[attr-defined]
    cfn.send = lambda event, context, status, data, pid: responses.append((status, data))  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "boto3", boto3)
    monkeypatch.setitem(sys.modules, "cfnresponse", cfn)
    namespace: dict[str, Any] = {}
    exec(compile(HANDLER, "index.py", "exec"), namespace)
    event = {"RequestType": "Create", "ResourceProperties": {
        "WorkspaceId": "g-1", "Bucket": "b", "Dashboards": sorted(dashboards), "Region": "us-east-1",
        "PrometheusUrl": "https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-1/"}}
    namespace["handler"](event, None)
    server.shutdown()
    assert responses == [("SUCCESS", {"Dashboards": "assetguard-security,assetguard-system,assetguard-traces"})]
    assert calls == ["create-key", "delete-key"]
    paths = [p for p, _auth, _b in _Grafana.posts]
    assert paths == ["/api/datasources"] + ["/api/dashboards/db"] * 3
    assert all(auth == "Bearer k-123" for _p, auth, _b in _Grafana.posts)
    assert _Grafana.posts[0][2]["jsonData"]["sigV4Auth"] is True
