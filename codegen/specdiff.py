"""What changed between two lakeFS OpenAPI documents, marking what the mapping uses.

``python -m codegen --diff OLD NEW`` prints operations added, removed, changed and deprecated,
and schema properties added and removed; a ``*`` marks operations (and the schemas of their
bodies and answers) that the mapping reaches.
"""

from __future__ import annotations

from codegen.spec import Operation, Spec

__all__ = ["diff", "used_schemas"]


def _signature(op: Operation) -> dict[str, str]:
    """What a caller of ``op`` depends on, as comparable strings."""
    parts = {"endpoint": f"{op.method.upper()} {op.path}"}
    for name, param in sorted(op.params.items()):
        required = "required" if param.required else "optional"
        parts[f"parameter {name}"] = f"{param.location} {param.type} {required}"
    parts["body"] = op.body.name if op.body else "none"
    parts["answer"] = op.response.name if op.response else "none"
    return parts


def used_schemas(spec: Spec, used: set[str]) -> set[str]:
    """The schemas of the bodies and answers of the operations in ``used`` (and list items)."""
    names: set[str] = set()
    for op_id in used:
        op = spec.operations.get(op_id)
        if op is None:
            continue
        for schema in (op.body, op.response):
            if schema is not None:
                names.add(schema.name)
                if schema.list_item:
                    names.add(schema.list_item)
    return names


def diff(old: Spec, new: Spec, used: set[str]) -> list[str]:
    """Lines describing the changes from ``old`` to ``new``; ``*`` marks what ``used`` needs."""

    def mark(op_id: str) -> str:
        return "*" if op_id in used else " "

    lines = [f"lakeFS API {old.version} -> {new.version} (* = used by the mapping)"]
    for op_id in sorted(set(new.operations) - set(old.operations)):
        op = new.operations[op_id]
        lines.append(f"{mark(op_id)} added      {op_id}: {op.method.upper()} {op.path}")
    for op_id in sorted(set(old.operations) - set(new.operations)):
        op = old.operations[op_id]
        lines.append(f"{mark(op_id)} removed    {op_id}: {op.method.upper()} {op.path}")
    for op_id in sorted(set(old.operations) & set(new.operations)):
        before, after = _signature(old.operations[op_id]), _signature(new.operations[op_id])
        for key in sorted(set(before) | set(after)):
            if before.get(key) != after.get(key):
                was, now = before.get(key, "(none)"), after.get(key, "(none)")
                lines.append(f"{mark(op_id)} changed    {op_id}: {key}: {was} -> {now}")
        if new.operations[op_id].deprecated and not old.operations[op_id].deprecated:
            lines.append(f"{mark(op_id)} deprecated {op_id}")
    needed = used_schemas(old, used) | used_schemas(new, used)
    for name in sorted(set(old.schemas) | set(new.schemas)):
        flag = "*" if name in needed else " "
        if name not in old.schemas:
            lines.append(f"{flag} added      schema {name}")
            continue
        if name not in new.schemas:
            lines.append(f"{flag} removed    schema {name}")
            continue
        before_props, after_props = old.schemas[name].properties, new.schemas[name].properties
        for prop in sorted(set(after_props) - set(before_props)):
            lines.append(f"{flag} added      {name}.{prop}")
        for prop in sorted(set(before_props) - set(after_props)):
            lines.append(f"{flag} removed    {name}.{prop}")
        gained = sorted(new.schemas[name].required - old.schemas[name].required)
        if gained:
            lines.append(f"{flag} changed    {name}: now required: {', '.join(gained)}")
    if len(lines) == 1:
        lines.append("  no changes")
    return lines
