"""Stage 1a: the lakeFS OpenAPI document, loaded into small typed objects."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

HTTP_METHODS = ("get", "post", "put", "delete", "patch", "head")


def snake(name: str) -> str:
    """``createRepository`` -> ``create_repository`` (as lakefs-sdk names things)."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


def api_class(tag: str) -> str:
    """The lakefs-sdk API class of an OpenAPI tag: ``branches`` -> ``BranchesApi``."""
    return "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]", tag) if part) + "Api"


@dataclass(frozen=True)
class Param:
    """A path, query or header parameter."""

    name: str
    location: str
    required: bool
    type: str
    description: str
    format: str = ""  # the schema's format: "date-time", ...


@dataclass(frozen=True)
class Schema:
    """An object schema (only what the generator needs)."""

    name: str
    required: frozenset[str]
    properties: dict[str, str]  # property -> description
    list_item: str | None = None  # for paginated lists: the schema of ``results`` items


@dataclass(frozen=True)
class Operation:
    """One operation of the API."""

    id: str
    method: str
    path: str
    tag: str
    summary: str
    description: str
    params: dict[str, Param]
    body: Schema | None
    body_required: bool
    response: Schema | None
    deprecated: bool = False
    errors: dict[str, str] = field(default_factory=dict)  # error status -> its description

    @property
    def sdk_method(self) -> str:
        return snake(self.id)

    @property
    def sdk_api(self) -> str:
        return api_class(self.tag)


@dataclass
class Spec:
    """The loaded document: its operations by id, and its schemas."""

    version: str
    operations: dict[str, Operation] = field(default_factory=dict)
    schemas: dict[str, Schema] = field(default_factory=dict)
    raw_schemas: dict[str, Any] = field(default_factory=dict)  # as written, for typed answers


def _ref_name(node: dict[str, Any]) -> str | None:
    ref = node.get("$ref")
    return ref.rsplit("/", 1)[-1] if isinstance(ref, str) else None


def _schema(name: str, raw: dict[str, Any]) -> Schema:
    props = raw.get("properties") or {}
    item = None
    results = props.get("results")
    if isinstance(results, dict) and results.get("type") == "array" and "pagination" in props:
        item = _ref_name(results.get("items") or {})
    return Schema(
        name=name,
        required=frozenset(raw.get("required") or ()),
        properties={k: (v or {}).get("description", "") for k, v in props.items()},
        list_item=item,
    )


def _json_schema(node: dict[str, Any] | None) -> str | None:
    content = (node or {}).get("content") or {}
    media = content.get("application/json") or next(iter(content.values()), None)
    return _ref_name((media or {}).get("schema") or {}) if media else None


def load(path: Path, version: str) -> Spec:
    """Load the OpenAPI document at ``path`` (YAML or JSON)."""
    doc = yaml.safe_load(path.read_text())
    components = doc.get("components") or {}
    spec = Spec(version=version, raw_schemas=dict(components.get("schemas") or {}))
    for name, raw in (components.get("schemas") or {}).items():
        spec.schemas[name] = _schema(name, raw or {})
    shared = components.get("parameters") or {}
    shared_responses = components.get("responses") or {}
    for path_key, item in (doc.get("paths") or {}).items():
        common = item.get("parameters") or []
        for method in HTTP_METHODS:
            raw = item.get(method)
            if not raw:
                continue
            params: dict[str, Param] = {}
            for p in [*common, *(raw.get("parameters") or [])]:
                ref = _ref_name(p)
                p = shared.get(ref, {}) if ref else p
                params[p["name"]] = Param(
                    name=p["name"],
                    location=p["in"],
                    required=bool(p.get("required")),
                    type=(p.get("schema") or {}).get("type", "string"),
                    description=(p.get("description") or "").strip(),
                    format=(p.get("schema") or {}).get("format", ""),
                )
            body_name = _json_schema(raw.get("requestBody"))
            responses = {str(code): r for code, r in (raw.get("responses") or {}).items()}
            ok = next((responses[c] for c in ("200", "201") if c in responses), None)
            response_name = _json_schema(ok)
            errors = {}
            for code, answer in responses.items():
                if not code.isdigit() or int(code) < 400:
                    continue
                ref = _ref_name(answer or {})
                answer = shared_responses.get(ref, {}) if ref else (answer or {})
                errors[code] = str(answer.get("description") or "").strip()
            # A running server's /openapi.json spells operationIds in PascalCase.
            op_id = raw["operationId"][:1].lower() + raw["operationId"][1:]
            spec.operations[op_id] = Operation(
                id=op_id,
                method=method.upper(),
                path=path_key,
                tag=(raw.get("tags") or ["default"])[0],
                summary=(raw.get("summary") or "").strip(),
                description=(raw.get("description") or "").strip(),
                params=params,
                body=spec.schemas.get(body_name) if body_name else None,
                body_required=bool((raw.get("requestBody") or {}).get("required")),
                response=spec.schemas.get(response_name) if response_name else None,
                deprecated=bool(raw.get("deprecated")),
                errors=errors,
            )
    return spec
