"""``python -m codegen``: regenerate ``src/lakefs/_generated`` (or check it is up to date)."""

from __future__ import annotations

import argparse
import difflib
import hashlib
import importlib.util
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

from codegen import callgraph, render, resolve, routes, specdiff, typed
from codegen import mapping as mapping_mod
from codegen import spec as spec_mod

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
OUT = SRC / "lakefs" / "_generated"
MAPPING = Path(__file__).with_name("mapping.yaml")
TEMPLATES = ROOT / "templates"
SPECS = Path(__file__).with_name("specs")  # the pinned version's OpenAPI document, committed
SUMS = SPECS / "SHA256SUMS"


def _build_module():  # type: ignore[no-untyped-def]
    """lakefs/testing/_build.py, loaded on its own: generating must not import the package it
    regenerates (a broken generated module would then stop its own repair)."""
    path = SRC / "lakefs" / "testing" / "_build.py"
    spec = importlib.util.spec_from_file_location("_lakefs_build", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def coverage_report(spec: spec_mod.Spec, reached: set[str]) -> str:
    """The spec's operations the mapping reaches and leaves out, grouped by tag."""
    by_tag: dict[str, list[str]] = defaultdict(list)
    for op in spec.operations.values():
        by_tag[op.tag].append(op.id)
    lines = [f"coverage: {len(reached)} of {len(spec.operations)} operations reached"]
    for tag in sorted(by_tag):
        ops = sorted(by_tag[tag])
        hit = [o for o in ops if o in reached]
        lines.append(f"  {tag}: {len(hit)}/{len(ops)}")
        if hit:
            lines.append(f"    reached: {', '.join(hit)}")
        missed = [o for o in ops if o not in reached]
        if missed:
            lines.append(f"    left out: {', '.join(missed)}")
    return "\n".join(lines)


def committed_spec(version: str) -> Path:
    """The committed OpenAPI document of ``version``, checked against its recorded sha256."""
    path = SPECS / f"lakefs-{version}.yml"
    if not path.exists():
        raise SystemExit(
            f"{path} is missing: `python -m codegen --fetch-spec` copies it from lakeFS's Go "
            "module (needs Go) and records its sha256"
        )
    sums = dict(
        reversed(line.split(maxsplit=1)) for line in SUMS.read_text().splitlines() if line.strip()
    )
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if sums.get(path.name) != digest:
        raise SystemExit(f"{path}: sha256 {digest} is not the one in {SUMS}: restore the file")
    return path


def fetch_spec(version: str) -> Path:
    """Copy ``api/swagger.yml`` of lakeFS ``version``'s Go module into codegen/specs/."""
    source = _build_module().module_dir(version) / "api" / "swagger.yml"
    target = SPECS / f"lakefs-{version}.yml"
    target.write_bytes(source.read_bytes())
    target.chmod(0o644)
    lines = [ln for ln in SUMS.read_text().splitlines() if not ln.endswith(f"  {target.name}")]
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    SUMS.write_text("\n".join(sorted([*lines, f"{digest}  {target.name}"])) + "\n")
    return target


def _any_spec(given: str, scratch: Path) -> spec_mod.Spec:
    """A spec given as a file, a running server's URL, or a lakeFS version (``1.84.0``)."""
    if given.replace(".", "").isdigit():
        committed = SPECS / f"lakefs-{given}.yml"
        path = (
            committed
            if committed.exists()
            else (_build_module().module_dir(given) / "api" / "swagger.yml")
        )
        return spec_mod.load(path, given)
    return spec_mod.load(_spec_file(given, scratch), Path(given).stem)


def _mapping_operations(mapping: mapping_mod.Mapping) -> set[str]:
    """Every operation the mapping declares: called directly or listed in ``uses``."""
    ops: set[str] = set()
    for res in mapping.resources:
        for m in res.methods:
            ops.update(filter(None, [m.operation, *m.uses]))
    return ops


def _usage_problems(
    mapping: mapping_mod.Mapping,
    spec: spec_mod.Spec,
    called: dict[str, list[str]],
    graph: callgraph.CallGraph,
) -> list[resolve.Problem]:
    """What the hand-written code calls must be declared, and what is declared, called; each
    impl method's ``uses:`` must be what its function sends (see :mod:`codegen.callgraph`)."""
    declared = set(mapping.operations)
    problems = [
        resolve.Problem("operations", f"unknown operationId {op!r}")
        for op in sorted(declared - set(spec.operations))
    ]
    for op in sorted(set(called) - declared):
        where = ", ".join(called[op])
        problems.append(resolve.Problem("operations", f"{where} calls {op}, not listed here"))
    for op in sorted(declared - set(called) - (declared - set(spec.operations))):
        problems.append(resolve.Problem("operations", f"{op} is listed, but no code calls it"))
    # What a generated method sends, by the method's name: hand-written code calls them on
    # resources whose type the call graph does not know (``branch.commit(...)``).
    generated: dict[str, set[str]] = defaultdict(set)
    for res in mapping.resources:
        for m in res.methods:
            if m.operation:
                generated[m.name].add(m.operation)
    for res in mapping.resources:
        for m in res.methods:
            if m.impl:
                problems += _uses_problems(m, graph, generated)
    return problems


def _uses_problems(
    m: mapping_mod.MethodDecl, graph: callgraph.CallGraph, generated: dict[str, set[str]]
) -> list[resolve.Problem]:
    """``m.uses`` against what its function reaches: nothing missing, nothing it never sends."""
    module, _, function = (m.impl or "").partition(":")
    sent = graph.operations(module, function)
    through = {op for name in graph.methods_called(module, function) for op in generated[name]}
    problems = []
    for op in sorted(sent - set(m.uses)):
        chain = " -> ".join(graph.path(module, function, op))
        problems.append(resolve.Problem(m.where, f"sends {op} ({chain}), missing from uses:"))
    for op in sorted(set(m.uses) - sent - through):
        problems.append(
            resolve.Problem(m.where, f"uses {op}, which {m.impl} and what it calls never send")
        )
    return problems


def _spec_file(spec: str, scratch: Path) -> Path:
    """The spec as a local file (downloaded first when given as a URL)."""
    if not spec.startswith(("http://", "https://")):
        return Path(spec)
    import urllib3

    response = urllib3.request("GET", spec, timeout=30.0, retries=3)
    if response.status != 200:
        raise SystemExit(f"{spec}: HTTP {response.status}")
    target = scratch / "openapi.json"
    target.write_bytes(response.data)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m codegen", description=__doc__)
    parser.add_argument(
        "--spec",
        help="an OpenAPI document: a file, or a running lakeFS's URL (http://host:8000/openapi.json);"
        " default: api/swagger.yml of the pinned Go module",
    )
    parser.add_argument("--mapping", type=Path, default=MAPPING)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--check", action="store_true", help="fail if --out differs")
    parser.add_argument("--quiet", action="store_true", help="no coverage report")
    parser.add_argument(
        "--diff",
        nargs=2,
        metavar=("OLD", "NEW"),
        help="print what changed between two specs (files, URLs or versions such as 1.84.0), "
        "marking what the mapping uses",
    )
    parser.add_argument(
        "--fetch-spec",
        action="store_true",
        help="copy the pinned version's spec from lakeFS's Go module into codegen/specs (Go)",
    )
    args = parser.parse_args(argv)

    build = _build_module()
    version = build.lakefs_version()
    mapping = mapping_mod.load(args.mapping)
    if args.diff:
        with tempfile.TemporaryDirectory() as tmp:
            old, new = (_any_spec(s, Path(tmp)) for s in args.diff)
        print("\n".join(specdiff.diff(old, new, _mapping_operations(mapping))))
        return 0
    if args.fetch_spec:
        print(f"wrote {fetch_spec(version)}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        spec_path = _spec_file(args.spec, Path(tmp)) if args.spec else committed_spec(version)
        spec = spec_mod.load(spec_path, version)
    resolved = resolve.resolve(spec, mapping, SRC)
    called = routes.calls(SRC, spec)
    graph = callgraph.CallGraph(SRC, spec)
    resolved.problems.extend(_usage_problems(mapping, spec, called, graph))
    resolved.reached.update(called)
    if resolved.problems:
        print(f"{args.mapping}: {len(resolved.problems)} problem(s):", file=sys.stderr)
        for problem in resolved.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    for op_id in sorted(_mapping_operations(mapping)):
        op = spec.operations.get(op_id)
        if op is not None and op.deprecated:
            print(f"warning: the mapping uses {op_id}, deprecated in {version}", file=sys.stderr)
    files = _modules(spec, mapping, resolved, version)
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            render.write(files, Path(tmp))
            return _compare(Path(tmp), args.out)
    render.write(files, args.out)
    if not args.quiet:
        print(coverage_report(spec, resolved.reached))
    print(f"wrote {len(files)} modules to {args.out}")
    return 0


def _modules(
    spec: spec_mod.Spec, mapping: mapping_mod.Mapping, resolved: resolve.Resolved, version: str
) -> dict[str, str]:
    """Every generated module, formatted: the resources, their typed answers, the routes."""
    files = render.render(resolved.resources, version, TEMPLATES)
    answers = typed.answers(spec.raw_schemas, resolved.answers, version)
    files["schemas.py"] = render.schemas_module(answers, version, TEMPLATES)
    sent = routes.routes(spec, sorted({*mapping.operations, *resolved.operations}))
    files["operations.py"] = render.operations_module(sent, version, TEMPLATES)
    return files


def _compare(fresh: Path, current: Path) -> int:
    names = {p.name for p in fresh.glob("*.py")} | {p.name for p in current.glob("*.py")}
    differ = 0
    for name in sorted(names):
        a = (current / name).read_text().splitlines() if (current / name).exists() else []
        b = (fresh / name).read_text().splitlines() if (fresh / name).exists() else []
        if a != b:
            differ += 1
            diff = difflib.unified_diff(
                a, b, f"{current.name}/{name}", f"fresh/{name}", lineterm=""
            )
            print("\n".join(list(diff)[:40]))
    if differ:
        print(f"{differ} generated module(s) are stale: run `make generate`", file=sys.stderr)
        return 1
    print("generated code is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
