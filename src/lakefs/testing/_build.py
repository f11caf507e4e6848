"""Build (or find) the lakeFS server binary of the version this SDK is generated and tested on.

That version is written once, as :data:`LAKEFS_VERSION` below: the server the tests and the demo
build, the OpenAPI document the generator reads (``codegen/specs/lakefs-<version>.yml``) and the
lower bound of the ``lakefs-sdk`` range in ``pyproject.toml`` are all this version
(``tests/test_harness.py`` checks that they agree). The installed ``lakefs-sdk`` may be any
release of that range, newer ones included: it is never read to choose the server. The server is
built from lakeFS's Go module through a small wrapper module kept in ``gomod/`` (its ``go.mod`` and
``go.sum`` are derived from :data:`LAKEFS_VERSION` by :func:`write_module`, ``make server-module``,
and committed).

Resolution order for :func:`ensure_binary`:

1. ``LAKEFS_BIN``: an existing binary, used as is (no Go needed).
2. ``<cache>/lakefs-<version>/lakefs``: a binary this module built before.
3. A fresh build with the machine's Go into that cache folder.

The cache folder is ``$LAKEFS_CACHE_DIR`` if set (the Makefile points it at the project's
``.cache/``), else ``~/.cache/lakefs-python``.

The ``"s3"`` configuration's object store, gofakes3 (a Go S3 server), is built the same way by
:func:`ensure_gofakes3` from its own wrapper module, ``gofakes3/``, whose ``go.mod`` is the one
place its version is pinned (``GOFAKES3_BIN`` uses an existing binary; the cache folder is
``<cache>/gofakes3-<version>/``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = [
    "GOFAKES3_MODULE",
    "LAKEFS_VERSION",
    "LakeFSBuildError",
    "cache_dir",
    "ensure_binary",
    "ensure_gofakes3",
    "gofakes3_version",
    "lakefs_version",
    "module_dir",
    "write_module",
]

# The lakeFS version this SDK is generated from and tested against (see the module's docstring).
LAKEFS_VERSION = "1.86.0"
LAKEFS_MODULE = "github.com/treeverse/lakefs"
GOFAKES3_MODULE = "github.com/johannesboyne/gofakes3"
MIN_GO = (1, 26, 4)
BUILD_TIMEOUT_S = 30 * 60
_GOMOD_DIR = Path(__file__).with_name("gomod")
_GOFAKES3_DIR = Path(__file__).with_name("gofakes3")


class LakeFSBuildError(RuntimeError):
    """lakeFS could not be found or built; the message says what to install or fix."""


def lakefs_version() -> str:
    """The pinned lakeFS version, :data:`LAKEFS_VERSION` (not the installed ``lakefs-sdk``'s).

    Returns:
        The version, without a leading ``v`` (e.g. ``"1.2.3"``).
    """
    return LAKEFS_VERSION


def cache_dir() -> Path:
    """Where built binaries are kept between runs (absolute: a relative ``LAKEFS_CACHE_DIR``
    is taken from the current directory, not from the Go module's, where ``go build`` runs)."""
    env = os.environ.get("LAKEFS_CACHE_DIR")
    return Path(env).resolve() if env else Path.home() / ".cache" / "lakefs-python"


def ensure_binary(*, log: bool = True) -> Path:
    """Return a lakeFS server binary of the pinned version, building it when needed.

    Args:
        log: print a line before a (long) build starts.

    Returns:
        The path of an executable ``lakefs`` binary.

    Raises:
        LakeFSBuildError: ``LAKEFS_BIN`` names no executable, Go is missing or too old, or the build
            failed (the message ends with the build's last lines).
    """
    return _find_or_build(
        "lakefs",
        "LAKEFS_BIN",
        lakefs_version,
        _build_lakefs,
        log=log,
    )


def gofakes3_version() -> str:
    """The pinned gofakes3 version: the ``require`` line of ``gofakes3/go.mod``.

    Returns:
        The version, without the leading ``v``.

    Raises:
        LakeFSBuildError: ``go.mod`` pins no gofakes3 version.
    """
    gomod = (_GOFAKES3_DIR / "go.mod").read_text()
    match = re.search(rf"^\s*{re.escape(GOFAKES3_MODULE)} v(\S+)", gomod, re.M)
    if match is None:
        raise LakeFSBuildError(f"{_GOFAKES3_DIR / 'go.mod'} pins no {GOFAKES3_MODULE} version")
    return match.group(1)


def ensure_gofakes3(*, log: bool = True) -> Path:
    """Return a gofakes3 binary of the pinned version, building it when needed (~10 s cold).

    ``GOFAKES3_BIN`` names an existing binary to use instead.

    Args:
        log: print a line before a build starts.

    Returns:
        The path of an executable ``gofakes3`` binary.

    Raises:
        LakeFSBuildError: ``GOFAKES3_BIN`` names no executable, Go is missing or too old, or the
            build failed.
    """
    return _find_or_build("gofakes3", "GOFAKES3_BIN", gofakes3_version, _build_gofakes3, log=log)


def module_dir(version: str | None = None) -> Path:
    """Download lakeFS's Go module (if needed) and return its source folder.

    The OpenAPI document the generator reads is ``api/swagger.yml`` inside it.
    """
    version = version or lakefs_version()
    go = _find_go(version)
    with tempfile.TemporaryDirectory(prefix="lakefs-gomod-") as scratch:
        out = _run(
            [go, "mod", "download", "-json", f"{LAKEFS_MODULE}@v{version}"],
            cwd=Path(scratch),
            what=f"downloading the lakeFS {version} Go module",
        )
    info = json.loads(out)
    if info.get("Error"):
        raise LakeFSBuildError(f"go mod download {LAKEFS_MODULE}@v{version}: {info['Error']}")
    return Path(info["Dir"])


def write_module(version: str | None = None, dest: Path = _GOMOD_DIR) -> None:
    """(Re)write the wrapper Go module in ``dest`` for the pinned lakeFS version.

    lakeFS's go.mod has ``replace`` directives, so ``go install`` refuses it; the wrapper copies
    them, appends lakeFS's own go.sum (the checksum database does not know the replaced
    pseudo-versions), and records the server package as a tool dependency.
    """
    version = version or lakefs_version()
    go = _find_go(version)
    src = module_dir(version)
    replaces = [ln for ln in (src / "go.mod").read_text().splitlines() if ln.startswith("replace ")]
    go_line = next(ln for ln in (src / "go.mod").read_text().splitlines() if ln.startswith("go "))
    with tempfile.TemporaryDirectory(prefix="lakefs-gomod-") as scratch:
        work = Path(scratch)
        header = "// Derived from the lakefs-sdk pin by `make server-module`; do not edit.\n"
        (work / "go.mod").write_text(
            header + "module lakefs-server\n\n" + go_line + "\n\n" + "\n".join(replaces) + "\n"
        )
        (work / "go.sum").write_text((src / "go.sum").read_text())
        _run(
            [go, "get", "-tool", f"{LAKEFS_MODULE}/cmd/lakefs@v{version}"],
            cwd=work,
            what="resolving the lakeFS server's dependencies",
        )
        dest.mkdir(parents=True, exist_ok=True)
        for name in ("go.mod", "go.sum"):
            shutil.copyfile(work / name, dest / name)


def _check_module_pin(version: str) -> None:
    gomod = (_GOMOD_DIR / "go.mod").read_text()
    match = re.search(rf"^\s*{re.escape(LAKEFS_MODULE)} v(\S+)", gomod, re.M)
    pinned = match.group(1) if match else None
    if pinned != version:
        raise LakeFSBuildError(
            f"{_GOMOD_DIR / 'go.mod'} pins lakeFS {pinned} but LAKEFS_VERSION is {version}: "
            "run `make server-module` to rewrite the wrapper module"
        )


def _go_env() -> dict[str, str]:
    return {**os.environ, "GOTOOLCHAIN": "local", "CGO_ENABLED": "0", "GOFLAGS": "-mod=mod"}


def _find_go(version: str, what: str = "lakeFS", bin_var: str = "LAKEFS_BIN") -> str:
    go = shutil.which("go")
    if go is None:
        raise LakeFSBuildError(
            f"Go >= {'.'.join(map(str, MIN_GO))} is needed to build {what} {version}, and `go` is "
            f"not on PATH. Install Go (https://go.dev/dl/), or set {bin_var} to an existing "
            f"{what} {version} binary."
        )
    out = subprocess.run([go, "env", "GOVERSION"], capture_output=True, text=True, env=_go_env())
    found = tuple(int(x) for x in re.findall(r"\d+", out.stdout)[:3])
    if found < MIN_GO:
        raise LakeFSBuildError(
            f"{what} {version} needs Go >= {'.'.join(map(str, MIN_GO))}; {go} is "
            f"{out.stdout.strip() or 'unknown'}. Upgrade Go or set {bin_var}."
        )
    return go


def _find_or_build(
    name: str,
    bin_var: str,
    version_of: Callable[[], str],
    build: Callable[[str, Path, bool], None],
    *,
    log: bool,
) -> Path:
    """The resolution order of the module's docstring, for the Go program ``name``: the binary
    ``bin_var`` names, else ``<cache>/<name>-<version>/<name>``, made by ``build(version,
    target, log)`` when missing."""
    explicit = os.environ.get(bin_var)
    if explicit:
        path = Path(explicit).expanduser()
        if not _is_executable(path):
            raise LakeFSBuildError(f"{bin_var}={explicit} is not an executable file")
        return path
    version = version_of()
    target = cache_dir() / f"{name}-{version}" / name
    if not _is_executable(target):
        build(version, target, log)
    return target


def _is_executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def _build_lakefs(version: str, target: Path, log: bool) -> None:
    go = _find_go(version)
    _check_module_pin(version)
    if log:
        print(f"building lakeFS {version} into {target} (a cold build takes a few minutes) ...")
    ldflags = f"-s -w -X {LAKEFS_MODULE}/pkg/version.Version={version}"
    _go_build(go, _GOMOD_DIR, f"{LAKEFS_MODULE}/cmd/lakefs", target, ldflags)


def _build_gofakes3(version: str, target: Path, log: bool) -> None:
    go = _find_go(version, "gofakes3", "GOFAKES3_BIN")
    if log:
        print(f"building gofakes3 {version} into {target} ...")
    _go_build(go, _GOFAKES3_DIR, f"{GOFAKES3_MODULE}/cmd/gofakes3", target, "-s -w")


def _go_build(go: str, module: Path, package: str, target: Path, ldflags: str) -> None:
    """Build ``package`` with the wrapper module in ``module`` into ``target``, atomically."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lakefs-build-", dir=target.parent) as scratch:
        work = Path(scratch)
        for name in ("go.mod", "go.sum"):
            shutil.copyfile(module / name, work / name)
        partial = work / target.name
        _run(
            [go, "build", "-trimpath", "-ldflags", ldflags, "-o", str(partial), package],
            cwd=work,
            what=f"building {package}",
        )
        os.replace(partial, target)  # atomic: a killed build never leaves a half binary


def _run(cmd: list[str], *, cwd: Path, what: str) -> str:
    try:
        proc = subprocess.run(
            cmd, cwd=cwd, env=_go_env(), capture_output=True, text=True, timeout=BUILD_TIMEOUT_S
        )
    except subprocess.TimeoutExpired as exc:
        raise LakeFSBuildError(f"{what} took more than {BUILD_TIMEOUT_S} s") from exc
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-25:])
        raise LakeFSBuildError(f"{what} failed (exit {proc.returncode}):\n{tail}")
    return proc.stdout
