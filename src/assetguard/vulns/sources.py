"""Where OSV records come from: a directory, a ``.json`` file, an osv.dev ``all.zip`` export, or a URL.

:func:`iter_records` yields ``(where, record_or_error)`` pairs; ``where`` names the file (and
zip member) so a malformed record is reported precisely while the rest are still read::

    for where, item in iter_records("https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip"):
        ...

``count_hint`` tells a progress bar how many records to expect (cheap: directory listing or zip index).
"""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from assetguard.core.errors import ValidationError
from assetguard.core.textfile import decode_text, parse_json


class RecordError(str):
    """A record that could not even be decoded (the text is the reason)."""


def _decode(where: str, data: bytes) -> Iterator[tuple[str, Any]]:
    try:
        doc = parse_json(decode_text(data, where, "OSV record"), where, "OSV record")
    except ValidationError as exc:
        yield where, RecordError(exc.message)
        return
    if isinstance(doc, list):  # a file holding several records
        for i, rec in enumerate(doc):
            yield f"{where}[{i}]", rec
    else:
        yield where, doc


def _zip_records(path: Path, label: str) -> Iterator[tuple[str, Any]]:
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise ValidationError(f"not a zip archive: {exc}", where=label) from None
    with archive:
        for info in archive.infolist():
            if info.is_dir() or not info.filename.endswith(".json"):
                continue
            yield from _decode(f"{label}:{info.filename}", archive.read(info))


def _path_records(path: Path) -> Iterator[tuple[str, Any]]:
    if path.is_dir():
        for child in sorted(path.rglob("*")):
            if child.is_file() and child.suffix == ".json":
                yield from _decode(str(child), child.read_bytes())
            elif child.is_file() and child.suffix == ".zip":
                yield from _zip_records(child, str(child))
    elif zipfile.is_zipfile(path):
        yield from _zip_records(path, str(path))
    elif path.is_file():
        yield from _decode(str(path), path.read_bytes())
    else:
        raise ValidationError("no such file or directory", where=str(path))


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def iter_records(source: str | Path, *, guard: Any = None) -> Iterator[tuple[str, Any]]:
    """Every record in ``source`` (path or http(s) URL) with the place it came from.

    A URL is fetched only from addresses the outbound guard vets
    (:func:`assetguard.vulns.fetch.guarded_download`): ``guard``, the deployment's from the API and
    the CLI (``outbound.allow_cidrs``), by default one that allows globally routable addresses only.
    """
    text = str(source)
    if is_url(text):
        with tempfile.TemporaryDirectory(prefix="ag-osv-") as tmp:
            from assetguard.targets.outbound import OutboundGuard
            from assetguard.vulns.fetch import guarded_download

            local = guarded_download(text, Path(tmp) / "download", guard or OutboundGuard())
            if zipfile.is_zipfile(local):
                yield from _zip_records(local, text)
            else:
                yield from _decode(text, local.read_bytes())
        return
    yield from _path_records(Path(text))


def count_hint(source: str | Path) -> int | None:
    """Roughly how many records ``source`` holds (None when unknown, e.g. a URL)."""
    text = str(source)
    if is_url(text):
        return None
    path = Path(text)
    if path.is_dir():
        return sum(1 for p in path.rglob("*.json"))
    if path.is_file() and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            return sum(1 for n in z.namelist() if n.endswith(".json"))
    return None
