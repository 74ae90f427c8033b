"""The Lambda handler (inline code) that provisions Amazon Managed Grafana from deploy/observability:
a SigV4 Prometheus datasource on the AMP workspace, then every dashboard JSON from the bucket.

It mints a short-lived workspace API key (grafana:CreateWorkspaceApiKey), calls Grafana's HTTP API,
and deletes the key again. Kept small: CloudFormation inlines at most 4 KB of code.
"""

HANDLER = r'''
import json, urllib.request, boto3, cfnresponse

def _call(url, key, body):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Authorization": "Bearer " + key, "Content-Type": "application/json"})
    try:
        return urllib.request.urlopen(req, timeout=20).status
    except urllib.error.HTTPError as exc:
        if exc.code in (409, 412):  # already there: dashboards overwrite, datasources keep
            return exc.code
        raise

def handler(event, context):
    props = event["ResourceProperties"]
    if event["RequestType"] == "Delete":
        return cfnresponse.send(event, context, cfnresponse.SUCCESS, {}, "grafana-dashboards")
    grafana, s3 = boto3.client("grafana"), boto3.client("s3")
    ws, name = props["WorkspaceId"], "assetguard-provisioner"
    try:
        endpoint = grafana.describe_workspace(workspaceId=ws)["workspace"]["endpoint"]
        endpoint = endpoint if endpoint.startswith("http") else "https://" + endpoint
        key = grafana.create_workspace_api_key(keyName=name, keyRole="ADMIN", secondsToLive=600,
                                               workspaceId=ws)["key"]
        try:
            _call(endpoint + "/api/datasources", key, {
                "name": "Prometheus", "uid": "prometheus", "type": "prometheus", "access": "proxy",
                "url": props["PrometheusUrl"], "isDefault": True,
                "jsonData": {"sigV4Auth": True, "sigV4AuthType": "ec2_iam_role", "sigV4Region": props["Region"]}})
            done = []
            for key_name in props["Dashboards"]:
                doc = json.loads(s3.get_object(Bucket=props["Bucket"], Key=key_name)["Body"].read())
                doc.pop("id", None)
                _call(endpoint + "/api/dashboards/db", key, {"dashboard": doc, "overwrite": True})
                done.append(doc.get("uid"))
        finally:
            grafana.delete_workspace_api_key(keyName=name, workspaceId=ws)
        cfnresponse.send(event, context, cfnresponse.SUCCESS, {"Dashboards": ",".join(done)}, "grafana-dashboards")
    except Exception as exc:
        cfnresponse.send(event, context, cfnresponse.FAILED, {"Error": str(exc)[:200]}, "grafana-dashboards")
'''
