"""``python -m codegen``: regenerate ``src/lakefs/_generated`` (or check it is up to date)."""

from __future__ import annotations

import argparse
import difflib
import importlib.util
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

from codegen import mapping as mapping_mod
from codegen import render, resolve
from codegen import spec as spec_mod

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
OUT = SRC / "lakefs" / "_generated"
MAPPING = Path(__file__).with_name("mapping.yaml")
TEMPLATES = ROOT / "templates"


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
    args = parser.parse_args(argv)

    build = _build_module()
    version = build.lakefs_version()
    with tempfile.TemporaryDirectory() as tmp:
        spec_path = _spec_file(args.spec, Path(tmp)) if args.spec else None
        spec_path = spec_path or build.module_dir(version) / "api" / "swagger.yml"
        spec = spec_mod.load(spec_path, version)
    mapping = mapping_mod.load(args.mapping)
    resolved = resolve.resolve(spec, mapping, SRC)
    if resolved.problems:
        print(f"{args.mapping}: {len(resolved.problems)} problem(s):", file=sys.stderr)
        for problem in resolved.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    files = render.render(resolved.resources, version, TEMPLATES)
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            render.write(files, Path(tmp))
            return _compare(Path(tmp), args.out)
    render.write(files, args.out)
    if not args.quiet:
        print(coverage_report(spec, resolved.reached))
    print(f"wrote {len(files)} modules to {args.out}")
    return 0


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
