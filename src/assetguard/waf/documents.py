"""Web ACL documents and the separate documents they reference.

A web ACL is a WAFv2 ``CreateWebACL`` object (JSON or YAML); ``{"WebACL": {...}}`` as returned by
``GetWebACL`` is accepted too. IP sets, regex pattern sets and rule groups are separate documents
(``CreateIPSet`` / ``CreateRegexPatternSet`` / ``CreateRuleGroup`` shapes, or their ``Get*``
wrappers) referenced by ``ARN`` - a full ARN, or just the name. Documents are looked up in the
resources given explicitly, then in the ACL file's own directory.

The CLI's ``--acl`` accepts a name (the WAF store, then the built-in set) or a file path. The API and
the proxies resolve names only (``acl_source``); the file functions here serve the CLI.

Example::

    acl = load_acl_document("baseline")           # dict, exactly as in the file
    resources = AclResources.from_paths([Path("sets/")], base_dir=Path("."))
    resources.ip_set("arn:aws:wafv2:us-east-1:123:regional/ipset/office/abc", where="...")
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from assetguard.core.errors import NotFoundError, ValidationError
from assetguard.core.textfile import read_text

BUILTIN_DIR = Path(__file__).parent / "acls"
DOC_SUFFIXES = (".json", ".yaml", ".yml")


def builtin_acl_names() -> list[str]:
    return sorted(p.stem for p in BUILTIN_DIR.iterdir() if p.suffix in DOC_SUFFIXES)


def builtin_acl_document(name: str) -> dict[str, Any] | None:
    """The shipped ACL called ``name``, or None. ``name`` is only compared with the shipped files'
    names; no path is built from it (the API and proxies resolve names through here)."""
    files = {p.stem: p for p in BUILTIN_DIR.iterdir() if p.suffix in DOC_SUFFIXES}
    path = files.get(name)
    if path is None:
        return None
    doc = unwrap(read_document(path), "WebACL")
    return doc if isinstance(doc, dict) else None


def resolve_acl_path(name_or_path: str | Path) -> Path:
    """A built-in name, or a file path (the CLI's ``--acl FILE``; the API never calls this)."""
    text = str(name_or_path)
    if not any(sep in text for sep in ("/", "\\")) and not text.endswith(DOC_SUFFIXES):
        for suffix in DOC_SUFFIXES:
            candidate = BUILTIN_DIR / f"{text}{suffix}"
            if candidate.exists():
                return candidate
        if not Path(text).exists():
            raise NotFoundError(f"no built-in ACL {text!r} and no such file; built-ins: {', '.join(builtin_acl_names())}")
    path = Path(text)
    if not path.exists():
        raise NotFoundError(f"ACL file {path} does not exist")
    return path


def read_document(path: Path) -> Any:
    """Parse a JSON or YAML file; syntax errors name the file and line."""
    text = read_text(path, "document")
    try:
        if path.suffix == ".json":
            return json.loads(text)
        return yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(f"invalid JSON: {exc.msg}", where=f"{path}:{exc.lineno}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or " ".join(str(exc).split())
        raise ValidationError(f"invalid YAML: {problem}", where=f"{path}{line}") from None


def unwrap(doc: Any, wrapper: str) -> Any:
    if isinstance(doc, dict) and set(doc) <= {wrapper, "LockToken"} and isinstance(doc.get(wrapper), dict):
        return doc[wrapper]
    return doc


def load_acl_document(name_or_path: str | Path) -> dict[str, Any]:
    """The ACL document (unwrapped) as a dict, key order preserved for a lossless export."""
    path = resolve_acl_path(name_or_path)
    doc = unwrap(read_document(path), "WebACL")
    if not isinstance(doc, dict):
        raise ValidationError("a web ACL document must be an object", where=str(path))
    return doc


def document_kind(doc: Any) -> str | None:
    """``IPSet``, ``RegexPatternSet``, ``RuleGroup``, ``WebACL`` or None for other files."""
    if not isinstance(doc, dict):
        return None
    for wrapper in ("IPSet", "RegexPatternSet", "RuleGroup", "WebACL"):
        if isinstance(doc.get(wrapper), dict) and set(doc) <= {wrapper, "LockToken"}:
            return wrapper
    if "DefaultAction" in doc:
        return "WebACL"
    if "Addresses" in doc and "IPAddressVersion" in doc:
        return "IPSet"
    if "RegularExpressionList" in doc:
        return "RegexPatternSet"
    if "Rules" in doc and "Capacity" in doc:
        return "RuleGroup"
    return None


def _ref_name(ref: str, kind_segment: str) -> str:
    """``arn:...:regional/ipset/<name>/<id>`` -> ``<name>``; a plain name stays."""
    marker = f"/{kind_segment}/"
    if ref.startswith("arn:") and marker in ref:
        return ref.split(marker, 1)[1].split("/", 1)[0]
    return ref


class AclResources:
    """IP sets, regex pattern sets and rule groups an ACL may reference, by ARN and by name."""

    SEGMENTS = {"IPSet": "ipset", "RegexPatternSet": "regexpatternset", "RuleGroup": "rulegroup"}

    def __init__(self, base_dir: Path | None = None) -> None:
        self.docs: dict[str, dict[str, dict[str, Any]]] = {k: {} for k in self.SEGMENTS}
        self.sources: dict[int, str] = {}
        self.base_dir = base_dir
        self._scanned_base = False

    def add(self, kind: str, doc: dict[str, Any], source: str) -> None:
        name = doc.get("Name")
        if not isinstance(name, str) or not name:
            raise ValidationError(f"a {kind} document needs a Name", where=source)
        self.docs[kind][name] = doc
        if isinstance(doc.get("ARN"), str):
            self.docs[kind][doc["ARN"]] = doc
        self.sources[id(doc)] = source

    def add_path(self, path: Path, *, strict: bool = True) -> None:
        files = sorted(p for p in path.iterdir() if p.suffix in DOC_SUFFIXES) if path.is_dir() else [path]
        for file in files:
            try:
                doc = read_document(file)
            except ValidationError:
                if strict:
                    raise
                continue
            kind = document_kind(doc)
            if kind in self.SEGMENTS:
                self.add(kind, unwrap(doc, kind), str(file))
            elif strict and path.is_file():
                raise ValidationError("not an IP set, regex pattern set or rule group document", where=str(file))

    @classmethod
    def from_paths(cls, paths: list[Path], base_dir: Path | None = None) -> AclResources:
        resources = cls(base_dir)
        for path in paths:
            if not path.exists():
                raise NotFoundError(f"resource path {path} does not exist")
            resources.add_path(path)
        return resources

    def _find(self, kind: str, ref: Any, where: str) -> dict[str, Any]:
        if not isinstance(ref, str) or not ref:
            raise ValidationError("ARN must be a non-empty string", where=where)
        table = self.docs[kind]
        doc = table.get(ref) or table.get(_ref_name(ref, self.SEGMENTS[kind]))
        if doc is None and self.base_dir is not None and not self._scanned_base:
            self._scanned_base = True
            self.add_path(self.base_dir, strict=False)
            doc = table.get(ref) or table.get(_ref_name(ref, self.SEGMENTS[kind]))
        if doc is None:
            known = sorted(k for k in table if not k.startswith("arn:"))
            raise NotFoundError(f"{kind} {ref!r} is not defined (known: {', '.join(known) or 'none'}); "
                                f"pass its document with --resources", where=where)
        return doc

    def ip_set(self, ref: Any, where: str) -> dict[str, Any]:
        return self._find("IPSet", ref, where)

    def regex_set(self, ref: Any, where: str) -> dict[str, Any]:
        return self._find("RegexPatternSet", ref, where)

    def rule_group(self, ref: Any, where: str) -> dict[str, Any]:
        return self._find("RuleGroup", ref, where)

    def source_of(self, doc: dict[str, Any]) -> str:
        return self.sources.get(id(doc), "document")
