"""sbom, image and snapshot collectors, built by the tests; malformed files name their position."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest

from assetguard.core.errors import ValidationError
from assetguard.inventory.collectors.image import ImageCollector, ImageCollectorConfig
from assetguard.inventory.collectors.sbom import SbomCollector, SbomCollectorConfig
from assetguard.inventory.collectors.snapshot import SnapshotCollector, SnapshotCollectorConfig
from assetguard.inventory.runner import run_collection
from assetguard.inventory.service import InventoryService
from tests.inventory.rootfs import APK_INSTALLED, DPKG_STATUS

# ----------------------------------------------------------------------------- SBOM


def cyclonedx(spec: str = "1.5", version: str = "1.0.0", extra: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "bomFormat": "CycloneDX", "specVersion": spec, "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
        "version": 1,
        "metadata": {"timestamp": "2026-11-01T00:00:00Z", "tools": {"components": [{"name": "syft"}]},
                     "component": {"type": "application", "name": "shop", "version": version,
                                   "bom-ref": "shop"}},
        "components": [
            {"type": "library", "name": "log4j-core", "version": "2.14.1", "bom-ref": "log4j",
             "purl": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
             "components": [{"type": "library", "name": "jackson", "version": "2.9.0",
                             "purl": "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.0"}]},
            {"type": "library", "name": "lodash", "version": "4.17.20", "purl": "pkg:npm/lodash@4.17.20"},
            {"type": "library", "name": "openssl", "version": "3.0.11-1~deb12u2",
             "purl": "pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12"},
            {"type": "library", "name": "gin", "purl": "pkg:golang/github.com/gin-gonic/gin@v1.9.0"},
            {"type": "file", "name": "README"},
            *(extra or []),
        ],
    }


SPDX = {
    "spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT", "name": "api-image",
    "documentNamespace": "https://example.com/spdx/api-1",
    "creationInfo": {"created": "2026-11-01T00:00:00Z", "creators": ["Tool: trivy-0.50", "Organization: x"]},
    "documentDescribes": ["SPDXRef-root"],
    "packages": [
        {"SPDXID": "SPDXRef-root", "name": "api", "versionInfo": "2.0"},
        {"SPDXID": "SPDXRef-musl", "name": "musl", "versionInfo": "1.2.4-r2", "externalRefs": [
            {"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
             "referenceLocator": "pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=3.18.4&upstream=musl"}]},
        {"SPDXID": "SPDXRef-flask", "name": "Flask", "versionInfo": "2.0.0", "externalRefs": [
            {"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "pkg:pypi/flask@2.0.0"}]},
        {"SPDXID": "SPDXRef-noref", "name": "mystery", "versionInfo": "1"},
    ],
}


@pytest.mark.parametrize("spec", ["1.4", "1.5", "1.6"])
def test_cyclonedx(tmp_path: Path, spec: str) -> None:
    path = tmp_path / "shop.cdx.json"
    path.write_text(json.dumps(cyclonedx(spec)))
    ci = SbomCollector().collect(SbomCollectorConfig(paths=[str(path)])).items[0]
    c = ci["configuration"]
    assert ci["resourceType"] == "AssetGuard::Software::SBOM" and ci["resourceName"] == "shop"
    assert ci["arn"].startswith("urn:assetguard:sbom:")
    assert (c["format"], c["specVersion"], c["subject"]["version"]) == ("CycloneDX", spec, "1.0.0")
    assert c["tools"] == ["syft"] and c["componentsWithoutPurl"] == 1
    got = {(p["ecosystem"], p["name"], p["version"]) for p in c["packages"]}
    assert got == {("Maven", "org.apache.logging.log4j:log4j-core", "2.14.1"),
                   ("Maven", "com.fasterxml.jackson.core:jackson-databind", "2.9.0"),
                   ("npm", "lodash", "4.17.20"), ("Debian:12", "openssl", "3.0.11-1~deb12u2"),
                   ("Go", "github.com/gin-gonic/gin", "v1.9.0")}


def test_spdx(tmp_path: Path) -> None:
    path = tmp_path / "api.spdx.json"
    path.write_text(json.dumps(SPDX))
    ci = SbomCollector().collect(SbomCollectorConfig(paths=[str(path)])).items[0]
    c = ci["configuration"]
    assert c["format"] == "SPDX" and c["subject"]["name"] == "api" and c["subject"]["version"] == "2.0"
    assert c["tools"] == ["trivy-0.50"] and c["componentsWithoutPurl"] == 1
    musl = [p for p in c["packages"] if p["name"] == "musl"][0]
    assert musl == {"name": "musl", "version": "1.2.4-r2", "ecosystem": "Alpine:v3.18",
                    "purl": "pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=3.18.4&upstream=musl",
                    "source": {"name": "musl", "version": None}, "location": "SPDXRef-musl"}
    assert [p["ecosystem"] for p in c["packages"]] == ["Alpine:v3.18", "PyPI"]


def test_newer_sbom_of_the_same_subject_updates_the_asset(tmp_path: Path, platform: Any) -> None:
    v1, v2 = tmp_path / "v1.json", tmp_path / "v2.json"
    v1.write_text(json.dumps(cyclonedx()))
    v2.write_text(json.dumps(cyclonedx(extra=[{"type": "library", "name": "flask", "purl": "pkg:pypi/flask@3.0.0"}])))
    assert run_collection(platform, "sbom", {"paths": [str(v1)]}).created == 1
    second = run_collection(platform, "sbom", {"paths": [str(v2)]})
    assert (second.created, second.updated) == (0, 1)
    changed = InventoryService(platform).history(second.changes[0][1])[0]["diff"]["changedProperties"]
    # packages sorted by (ecosystem, name): Debian:12, Go, Maven, Maven, PyPI, npm
    assert changed == {
        "configuration.file": {"previousValue": "v1.json", "updatedValue": "v2.json", "changeType": "UPDATE"},
        "configuration.packages[4]": {"previousValue": None, "changeType": "CREATE", "updatedValue": {
            "name": "flask", "version": "3.0.0", "ecosystem": "PyPI", "purl": "pkg:pypi/flask@3.0.0", "source": None,
            "location": None}}}


# ----------------------------------------------------------------------------- images


def _layer(files: dict[str, bytes | None], symlinks: dict[str, str] | None = None, gz: bool = False) -> bytes:
    """A layer tar: ``None`` content makes a directory."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz" if gz else "w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            if data is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        for name, target in (symlinks or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            tar.addfile(info)
    return buf.getvalue()


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def _metadata(name: str, version: str) -> bytes:
    return f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode()


def image_layers() -> list[bytes]:
    base = _layer({
        "usr/lib/os-release": b'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12"\n',
        "var/lib/dpkg/status": DPKG_STATUS.encode(),
        "usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA": _metadata("six", "1.16.0"),
        "usr/lib/python3/dist-packages/idna-3.3.dist-info/METADATA": _metadata("idna", "3.3"),
        "app/node_modules/left-pad/package.json": b'{"name": "left-pad", "version": "1.3.0"}',
        "app/node_modules/old/package.json": b'{"name": "old", "version": "0.1.0"}',
        "app/cache/node_modules/x/package.json": b'{"name": "x", "version": "9.9.9"}',
    }, symlinks={"etc/os-release": "../usr/lib/os-release"})
    # Layer 2: delete "six" (whiteout), empty app/cache (opaque dir), add Django; gzip-compressed.
    upper = _layer({
        "usr/lib/python3/dist-packages/.wh.six-1.16.0.dist-info": b"",
        "app/cache/.wh..wh..opq": b"",
        "app/node_modules/.wh.old": b"",
        "usr/local/lib/python3.11/site-packages/Django-4.2.1.dist-info/METADATA": _metadata("Django", "4.2.1"),
        "../escape/package.json": b'{"name": "evil", "version": "1"}',
    }, gz=True)
    return [base, upper]


IMAGE_CONFIG = {"architecture": "amd64", "os": "linux", "created": "2026-11-01T00:00:00Z",
                "config": {"User": "app", "Env": ["PATH=/usr/bin", "API_KEY=secret"], "Cmd": ["python", "app.py"],
                           "ExposedPorts": {"8080/tcp": {}}, "Labels": {"team": "shop"}}}


def docker_save(path: Path) -> Path:
    layers = image_layers()
    config = json.dumps(IMAGE_CONFIG).encode()
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    with tarfile.open(path, "w") as tar:
        names = []
        for i, data in enumerate(layers):
            names.append(f"layer{i}/layer.tar")
            _add(tar, names[-1], data)
        _add(tar, config_name, config)
        _add(tar, "manifest.json", json.dumps([{"Config": config_name, "RepoTags": ["shop:1.0"],
                                                "Layers": names}]).encode())
    return path


def oci_layout(root: Path) -> Path:
    def put(data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        (root / "blobs/sha256").mkdir(parents=True, exist_ok=True)
        (root / "blobs/sha256" / digest).write_bytes(data)
        return f"sha256:{digest}"

    layers = [put(d) for d in image_layers()]
    config = put(json.dumps(IMAGE_CONFIG).encode())
    manifest = put(json.dumps({"schemaVersion": 2, "config": {"digest": config, "size": 1},
                               "layers": [{"digest": d, "size": 1} for d in layers]}).encode())
    (root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    (root / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [
        {"digest": manifest, "size": 1, "annotations": {"org.opencontainers.image.ref.name": "shop:oci"}}]}))
    return root


def _check_image(ci: dict[str, Any]) -> None:
    c = ci["configuration"]
    assert ci["resourceType"] == "AssetGuard::Container::Image"
    assert c["ecosystem"] == "Debian:12"  # os-release found through the symlink
    names = {(p["ecosystem"], p["name"]): p for p in c["packages"]}
    assert set(names) == {("Debian:12", "openssl"), ("Debian:12", "libssl3"), ("Debian:12", "bsdutils"),
                          ("PyPI", "idna"), ("PyPI", "Django"), ("npm", "left-pad")}
    assert names[("PyPI", "Django")]["location"] == "/usr/local/lib/python3.11/site-packages/Django-4.2.1.dist-info"
    assert names[("Debian:12", "libssl3")]["source"] == {"name": "openssl", "version": "3.0.11-1~deb12u2"}
    assert c["config"]["env"] == ["API_KEY", "PATH"] and "secret" not in json.dumps(ci)
    assert c["config"]["user"] == "app" and c["config"]["exposedPorts"] == ["8080/tcp"]
    assert len(c["layers"]) == 2


def test_docker_save_tarball(tmp_path: Path) -> None:
    ci = ImageCollector().collect(ImageCollectorConfig(paths=[str(docker_save(tmp_path / "img.tar"))])).items[0]
    _check_image(ci)
    assert ci["resourceName"] == "shop:1.0"
    assert ci["configuration"]["imageId"] == "sha256:" + hashlib.sha256(json.dumps(IMAGE_CONFIG).encode()).hexdigest()
    assert not (tmp_path.parent / "escape").exists()


def test_oci_layout_dir(tmp_path: Path) -> None:
    ci = ImageCollector().collect(ImageCollectorConfig(paths=[str(oci_layout(tmp_path / "oci"))])).items[0]
    _check_image(ci)
    assert ci["resourceName"] == "shop:oci"


def test_alpine_image(tmp_path: Path) -> None:
    # tar members written the way `docker save` of some builders does: with a "./" prefix
    layer = _layer({"./": None, "./etc/os-release": b"ID=alpine\nVERSION_ID=3.19.1\n",
                    "./lib/apk/db/installed": APK_INSTALLED.encode(), "./.wh..profile": b""})
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {}}).encode()
    with tarfile.open(tmp_path / "a.tar", "w") as tar:
        _add(tar, "l/layer.tar", layer)
        _add(tar, "c.json", config)
        _add(tar, "manifest.json", json.dumps([{"Config": "c.json", "RepoTags": None, "Layers": ["l/layer.tar"]}]).encode())
    c = ImageCollector().collect(ImageCollectorConfig(paths=[str(tmp_path / "a.tar")])).items[0]["configuration"]
    assert [(p["ecosystem"], p["name"], p["source"]["name"]) for p in c["packages"]] == [
        ("Alpine:v3.19", "libcrypto3", "openssl"), ("Alpine:v3.19", "musl", "musl")]


# ----------------------------------------------------------------------------- snapshots

SNAPSHOT = {
    "fileVersion": "1.0", "configSnapshotId": "abc",
    "configurationItems": [
        {"relatedEvents": [], "relationships": [{"resourceId": "vpc-1", "resourceType": "AWS::EC2::VPC",
                                                 "name": "Is contained in Vpc"}],
         "configuration": {"groupId": "sg-1", "ipPermissions": [{"ipProtocol": "tcp", "fromPort": 22, "toPort": 22,
                                                                 "ipv4Ranges": [{"cidrIp": "0.0.0.0/0"}]}]},
         "supplementaryConfiguration": {}, "tags": {"env": "prod"}, "configurationItemVersion": "1.3",
         "configurationItemCaptureTime": "2026-11-01T10:00:00.000Z", "configurationStateId": 1700000000000,
         "awsAccountId": "111122223333", "configurationItemStatus": "OK", "resourceType": "AWS::EC2::SecurityGroup",
         "resourceId": "sg-1", "resourceName": "ssh", "ARN": "arn:aws:ec2:eu-west-1:111122223333:security-group/sg-1",
         "awsRegion": "eu-west-1", "availabilityZone": "Not Applicable", "configurationStateMd5Hash": ""},
        {"configuration": {"name": "b"}, "supplementaryConfiguration": {
            "PublicAccessBlockConfiguration": '{"blockPublicAcls":true,"ignorePublicAcls":true,"blockPublicPolicy":true,"restrictPublicBuckets":true}'},
         "tags": {}, "awsAccountId": "111122223333", "configurationItemStatus": "ResourceDiscovered",
         "resourceType": "AWS::S3::Bucket", "resourceId": "b", "ARN": "arn:aws:s3:::b", "awsRegion": "eu-west-1"},
    ],
}

SELECT_RESULT = {"QueryInfo": {"SelectFields": [{"Name": "*"}]}, "Results": [json.dumps({
    "version": "1.3", "accountId": "111122223333", "configurationItemCaptureTime": "2026-11-01T10:00:00.000Z",
    "configurationItemStatus": "OK", "configurationStateId": "1700000000000",
    "arn": "arn:aws:ec2:eu-west-1:111122223333:volume/vol-1", "resourceType": "AWS::EC2::Volume",
    "resourceId": "vol-1", "awsRegion": "eu-west-1", "availabilityZone": "eu-west-1a",
    "tags": [{"key": "env", "value": "dev"}], "relationships": [],
    "configuration": {"volumeId": "vol-1", "encrypted": False}, "supplementaryConfiguration": {}})]}


def test_snapshot_and_select_results(tmp_path: Path) -> None:
    snap = tmp_path / "snapshot.json.gz"
    snap.write_bytes(gzip.compress(json.dumps(SNAPSHOT).encode()))
    sel = tmp_path / "select.json"
    sel.write_text(json.dumps(SELECT_RESULT))
    result = SnapshotCollector().collect(SnapshotCollectorConfig(paths=[str(snap), str(sel)]))
    items = {i["arn"]: i for i in result.items}
    sg = items["arn:aws:ec2:eu-west-1:111122223333:security-group/sg-1"]
    assert sg["accountId"] == "111122223333" and sg["version"] == "1.3" and sg["tags"] == {"env": "prod"}
    assert sg["relationships"] == [{"resourceType": "AWS::EC2::VPC", "resourceId": "vpc-1", "resourceName": None,
                                    "relationshipName": "Is contained in Vpc"}]
    assert "configurationStateId" not in sg and "relatedEvents" not in sg
    bucket = items["arn:aws:s3:::b"]
    assert bucket["supplementaryConfiguration"]["PublicAccessBlockConfiguration"]["blockPublicAcls"] is True
    vol = items["arn:aws:ec2:eu-west-1:111122223333:volume/vol-1"]
    assert vol["tags"] == {"env": "dev"} and vol["configuration"]["encrypted"] is False
    assert result.scope == {"111122223333|eu-west-1|*"}


def test_snapshot_marks_missing_assets_deleted(tmp_path: Path, platform: Any) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps(SNAPSHOT))
    assert run_collection(platform, "snapshot", {"paths": [str(path)]}).created == 2
    later = {**SNAPSHOT, "configurationItems": SNAPSHOT["configurationItems"][1:]}
    path.write_text(json.dumps(later))
    summary = run_collection(platform, "snapshot", {"paths": [str(path)]})
    assert summary.changes == [("DELETE", "arn:aws:ec2:eu-west-1:111122223333:security-group/sg-1")]


# ----------------------------------------------------------------------------- malformed files


def test_malformed_files_name_the_position_and_lose_nothing(tmp_path: Path, platform: Any) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps(cyclonedx()))
    run_collection(platform, "sbom", {"paths": [str(good)]})
    inv = InventoryService(platform)
    before = inv.list_assets()

    bad_json = tmp_path / "bad.json"
    bad_json.write_text('{\n  "bomFormat": "CycloneDX",\n  "specVersion": "1.5",\n  "components": [,]\n}')
    with pytest.raises(ValidationError) as err:
        run_collection(platform, "sbom", {"paths": [str(good), str(bad_json)]})
    assert err.value.where == f"{bad_json}:4:18"

    bad_purl = tmp_path / "purl.json"
    bad_purl.write_text(json.dumps(cyclonedx(extra=[{"type": "library", "name": "x", "purl": "http://nope"}])))
    with pytest.raises(ValidationError) as err:
        run_collection(platform, "sbom", {"paths": [str(bad_purl)]})
    assert err.value.where == f"{bad_purl}:$.components[5].purl"

    with pytest.raises(ValidationError, match="specVersion"):
        bad_spec = tmp_path / "spec.json"
        bad_spec.write_text(json.dumps(cyclonedx(spec="1.2")))
        run_collection(platform, "sbom", {"paths": [str(bad_spec)]})

    # an image whose second layer is not a tar
    tar_path = tmp_path / "broken.tar"
    with tarfile.open(tar_path, "w") as tar:
        _add(tar, "l0/layer.tar", image_layers()[0])
        _add(tar, "l1/layer.tar", b"this is not a tar archive at all" * 40)
        _add(tar, "c.json", b"{}")
        _add(tar, "manifest.json", json.dumps([{"Config": "c.json", "Layers": ["l0/layer.tar", "l1/layer.tar"]}]).encode())
    with pytest.raises(ValidationError) as err:
        run_collection(platform, "image", {"paths": [str(tar_path)]})
    assert err.value.where == f"{tar_path}:l1/layer.tar"

    missing = tmp_path / "missing.tar"
    with tarfile.open(missing, "w") as tar:
        _add(tar, "c.json", b"{}")
        _add(tar, "manifest.json", b'[{"Config": "c.json", "Layers": ["gone/layer.tar"]}]')
    with pytest.raises(ValidationError) as err:
        run_collection(platform, "image", {"paths": [str(missing)]})
    assert err.value.where == f"{missing}:gone/layer.tar"

    not_tar = tmp_path / "plain.tar"
    not_tar.write_text("hello")
    with pytest.raises(ValidationError, match="not a readable tar"):
        run_collection(platform, "image", {"paths": [str(not_tar)]})

    bad_snapshot = tmp_path / "snap.json"
    bad_snapshot.write_text(json.dumps({"configurationItems": [SNAPSHOT["configurationItems"][0], {"resourceType": "X"}]}))
    with pytest.raises(ValidationError) as err:
        run_collection(platform, "snapshot", {"paths": [str(bad_snapshot)]})
    assert err.value.where == f"{bad_snapshot}:$.configurationItems[1]"

    with pytest.raises(ValidationError, match="does not exist"):
        run_collection(platform, "sbom", {"paths": [str(tmp_path / "nope.json")]})

    assert inv.list_assets() == before
    assert len(inv.collections()) == 1
