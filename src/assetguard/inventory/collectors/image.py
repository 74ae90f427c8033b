"""The ``image`` collector: a ``docker save`` tarball or an OCI image layout (directory or tar).

Layers are applied in order into a scratch directory, keeping only the files that describe
software (os-release, dpkg/apk/rpm databases, Python ``*.dist-info``/``*.egg-info``, npm
``package.json``). Whiteouts are honoured: ``.wh.NAME`` removes ``NAME`` from lower layers and
``.wh..wh..opq`` empties its directory. Then the host package readers run on that directory::

    assetguard inventory collect --source image --path app.tar

Member names that escape the image root (``../``, absolute links) are ignored; nothing from the
image is ever written outside the scratch directory, and links are never followed.
"""

from __future__ import annotations

import hashlib
import posixpath
import shutil
import tarfile
import tempfile
from collections import Counter
from pathlib import Path
from typing import IO, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from assetguard.core.clock import utcnow
from assetguard.core.errors import ValidationError
from assetguard.inventory.collectors.base import CollectionResult, Progress, collectors
from assetguard.inventory.collectors.files import expect, load_json
from assetguard.inventory.collectors.host import packages
from assetguard.inventory.collectors.host.osrelease import osv_ecosystem, purl_distro, read_os_release
from assetguard.inventory.model import IMAGE_TYPE

WANTED_EXACT = frozenset({"etc/os-release", "usr/lib/os-release", "var/lib/dpkg/status", "lib/apk/db/installed",
                          "var/lib/rpm/rpmdb.sqlite"})
MAX_WANTED_FILE = 256 * 1024 * 1024


def wanted(path: str) -> bool:
    if path in WANTED_EXACT or path.startswith("var/lib/dpkg/status.d/"):
        return True
    parent = posixpath.dirname(path)
    if path.endswith(("/METADATA", "/PKG-INFO")) and parent.endswith((".dist-info", ".egg-info")):
        return True
    return path.endswith("/package.json") and "node_modules/" in path


def _clean(name: str) -> str | None:
    """A member name relative to the image root (``""`` for the root), or None when it escapes it."""
    norm = posixpath.normpath(name.lstrip("/"))
    if norm == ".":
        return ""
    if norm == ".." or norm.startswith("../"):
        return None
    return norm


class ImageSource:
    """Blobs of a docker-save or OCI archive, from a tar file or a directory."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tar: tarfile.TarFile | None = None
        if path.is_file():
            try:
                self.tar = tarfile.open(path)
            except (tarfile.TarError, OSError) as exc:
                raise ValidationError(f"not a readable tar archive: {exc}", where=str(path)) from None
        elif not path.is_dir():
            raise ValidationError("image path does not exist", where=str(path))

    def close(self) -> None:
        if self.tar is not None:
            self.tar.close()

    def where(self, name: str) -> str:
        return f"{self.path}:{name}"

    def exists(self, name: str) -> bool:
        if self.tar is None:
            return (self.path / name).is_file()
        try:
            self.tar.getmember(name)
            return True
        except KeyError:
            return False

    def open(self, name: str) -> IO[bytes]:
        if self.tar is None:
            try:
                return (self.path / name).open("rb")
            except OSError:
                raise ValidationError("referenced file is missing", where=self.where(name)) from None
        try:
            fh = self.tar.extractfile(name)
        except (KeyError, tarfile.TarError):
            fh = None
        if fh is None:
            raise ValidationError("referenced member is missing from the archive", where=self.where(name))
        return fh

    def json(self, name: str) -> Any:
        with self.open(name) as fh:
            raw = fh.read()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError("not UTF-8 JSON", where=self.where(name)) from None
        return load_json(Path(self.where(name)), text)


def _blob(digest: str) -> str:
    algo, _, hexdigest = digest.partition(":")
    return f"blobs/{algo}/{hexdigest}"


def read_layout(src: ImageSource) -> tuple[dict[str, Any], list[str], list[str], str]:
    """(image config, layer member names, repo tags, image id) for docker-save or OCI layouts."""
    if src.exists("manifest.json"):
        manifest = expect(src.json("manifest.json"), list, src.where("manifest.json"), "a list of images")
        if not manifest:
            raise ValidationError("manifest lists no image", where=src.where("manifest.json"))
        entry = expect(manifest[0], dict, src.where("manifest.json") + ":$[0]", "an object")
        config_name = str(entry.get("Config", ""))
        config = src.json(config_name)
        with src.open(config_name) as fh:
            image_id = "sha256:" + hashlib.sha256(fh.read()).hexdigest()
        return config, [str(x) for x in entry.get("Layers", [])], [str(t) for t in entry.get("RepoTags") or []], image_id
    if src.exists("index.json"):
        index = expect(src.json("index.json"), dict, src.where("index.json"), "an object")
        manifests = index.get("manifests") or []
        if not manifests:
            raise ValidationError("index lists no manifest", where=src.where("index.json"))
        desc = manifests[0]
        tags = [desc.get("annotations", {}).get("org.opencontainers.image.ref.name")] if desc.get("annotations") else []
        manifest = src.json(_blob(desc["digest"]))
        if "manifests" in manifest:  # a nested index (multi-platform): take the first image
            manifest = src.json(_blob(manifest["manifests"][0]["digest"]))
        config_digest = manifest["config"]["digest"]
        return (src.json(_blob(config_digest)), [_blob(layer["digest"]) for layer in manifest.get("layers", [])],
                [t for t in tags if t], config_digest)
    raise ValidationError("neither manifest.json (docker save) nor index.json (OCI layout) found", where=str(src.path))


def _remove(target: Path) -> None:
    if target.is_symlink() or target.is_file():
        target.unlink()
    elif target.is_dir():
        shutil.rmtree(target)


def apply_layer(layer: tarfile.TarFile, scratch: Path, links: dict[str, str], where: str) -> None:
    """Apply one layer onto ``scratch``: whiteouts first, then the wanted files and symlinks."""
    members = layer.getmembers()
    for m in members:
        name = _clean(m.name)
        if name is None:
            continue
        directory, base = posixpath.split(name)
        if base == ".wh..wh..opq":
            target = scratch / directory
            if target.is_dir():
                for child in target.iterdir():
                    _remove(child)
            prefix = directory + "/" if directory else ""
            for key in [k for k in links if k.startswith(prefix)]:
                del links[key]
        elif base.startswith(".wh."):
            gone = posixpath.join(directory, base[4:])
            _remove(scratch / gone)
            for key in [k for k in links if k == gone or k.startswith(gone + "/")]:
                del links[key]
    for m in members:
        name = _clean(m.name)
        if name is None or posixpath.basename(name).startswith(".wh."):
            continue
        if m.issym() and wanted(name):
            links[name] = m.linkname
            _remove(scratch / name)
        elif m.isfile() and wanted(name):
            if m.size > MAX_WANTED_FILE:
                raise ValidationError(f"{name} is larger than {MAX_WANTED_FILE} bytes", where=where)
            links.pop(name, None)
            target = scratch / name
            if target.is_symlink() or target.is_dir():
                _remove(target)
            target.parent.mkdir(parents=True, exist_ok=True)
            fh = layer.extractfile(m)
            if fh is None:
                continue
            with fh, target.open("wb") as out:
                shutil.copyfileobj(fh, out)


def resolve_links(scratch: Path, links: dict[str, str]) -> None:
    """Materialise wanted symlinks (e.g. /etc/os-release → ../usr/lib/os-release) inside the scratch root."""
    for name in links:
        current: str | None = name
        for _ in range(8):  # follow link chains, never outside the image root
            target = links.get(current) if current is not None else None
            if target is None:
                break
            assert current is not None
            joined = target.lstrip("/") if target.startswith("/") else posixpath.join(posixpath.dirname(current), target)
            current = _clean(joined)
        if current is None or current in links:
            continue
        source = scratch / current
        if source.is_file() and not source.is_symlink():
            dest = scratch / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, dest)


def describe_image(path: Path, progress: Progress | None = None) -> dict[str, Any]:
    src = ImageSource(path)
    try:
        config, layers, tags, image_id = read_layout(src)
        with tempfile.TemporaryDirectory(prefix="assetguard-image-") as tmp:
            scratch = Path(tmp)
            links: dict[str, str] = {}
            for i, name in enumerate(layers):
                if progress:
                    progress(f"image:{path.name}", f"layer {i + 1}/{len(layers)}", i, len(layers))
                with src.open(name) as fh:
                    try:
                        with tarfile.open(fileobj=fh, mode="r:*") as layer:
                            apply_layer(layer, scratch, links, src.where(name))
                    except (tarfile.TarError, EOFError, OSError) as exc:
                        raise ValidationError(f"layer is not a readable tar: {exc}", where=src.where(name)) from None
            resolve_links(scratch, links)
            release = read_os_release(scratch)
            ecosystem = osv_ecosystem(release)
            distro = purl_distro(release)
            pkgs = (packages.read_dpkg(scratch, ecosystem, distro) + packages.read_apk(scratch, ecosystem, distro)
                    + packages.read_rpm(scratch, ecosystem, distro) + packages.read_language_packages(scratch, ("",)))
    finally:
        src.close()
    pkgs.sort(key=lambda p: (p["ecosystem"], p["name"], p["version"], p["location"] or ""))
    cfg = config.get("config") or {}
    return {
        "imageId": image_id, "repoTags": tags, "architecture": config.get("architecture"), "os": config.get("os"),
        "created": config.get("created"),
        "config": {"user": cfg.get("User") or None, "entrypoint": cfg.get("Entrypoint"), "cmd": cfg.get("Cmd"),
                   "workingDir": cfg.get("WorkingDir") or None, "exposedPorts": sorted(cfg.get("ExposedPorts") or {}),
                   # values may be secrets: names only
                   "env": sorted(e.split("=", 1)[0] for e in cfg.get("Env") or []),
                   "labels": cfg.get("Labels") or {}},
        "layers": [posixpath.basename(name.removesuffix("/layer.tar")) for name in layers],
        "osRelease": release, "ecosystem": ecosystem, "packages": pkgs,
        "packageCounts": dict(Counter(p["purl"][4:].split("/", 1)[0] for p in pkgs if p.get("purl"))),
    }


class ImageCollectorConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    paths: list[str] = Field(min_length=1)


@collectors.register("image")
class ImageCollector:
    """Inventory container images from docker-save tarballs or OCI layouts."""

    name: ClassVar[str] = "image"
    Config: ClassVar[type[BaseModel]] = ImageCollectorConfig
    permissions: ClassVar[tuple[str, ...]] = ()

    def collect(self, config: ImageCollectorConfig, progress: Progress | None = None) -> CollectionResult:
        result = CollectionResult()
        described = [describe_image(Path(p), progress) for p in config.paths]  # all parsed before any is stored
        for conf in described:
            digest = conf["imageId"]
            arn = f"urn:assetguard:image:{digest}"
            result.items.append({"arn": arn, "resourceType": IMAGE_TYPE, "resourceId": digest,
                                 "resourceName": (conf["repoTags"] or [digest[:19]])[0],
                                 "configurationItemCaptureTime": utcnow().isoformat(), "configuration": conf,
                                 "tags": {}})
            result.scope.add(arn)
        return result
