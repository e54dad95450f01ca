"""Exit 0 when every requirement of this checkout's `.[all]` (and, transitively, of what they require) is installed
at a version it accepts, so scripts/setup.sh can skip pip's resolver, which spends over a minute asking the index
about ~300 packages even when nothing would change. Anything missing, unparseable or in doubt exits 1 and pip
decides; exit 2 when only this checkout itself needs installing (pip install --no-deps -e .).
Usage: python3 scripts/_installed.py [EXTRA ...] [--pin NAME==VERSION ...] [-v]   (-v names what is missing)"""
from __future__ import annotations

import importlib.util
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]


def unmet(pyproject: Path, extras: list[str], pins: list[str]) -> tuple[list[str], list[str]]:
    """(what this checkout's own install lacks, which requirements are unmet)"""
    toml = tomllib.loads(pyproject.read_text())
    project = toml["project"]
    name = canonicalize_name(project["name"])
    optional = project.get("optional-dependencies", {})
    todo = [Requirement(r) for r in project.get("dependencies", []) + pins]
    pinned = {canonicalize_name(Requirement(p).name): Requirement(p) for p in pins}  # overrides what others ask
    wanted, expanded = set(extras), set(extras)
    while wanted:  # the project's own extras, expanded (all = codelora[eval,train,...])
        for r in map(Requirement, optional.get(wanted.pop(), [])):
            if canonicalize_name(r.name) == name:
                wanted |= set(r.extras) - expanded
                expanded |= set(r.extras)
            else:
                todo.append(r)
    own, problems, seen = [], [], set()
    try:  # this checkout itself, installed in place (pip install -e) with this pyproject's packages and entry points
        dist = metadata.distribution(name)
        if f'"{pyproject.parent.as_uri()}"' not in (dist.read_text("direct_url.json") or ""):
            own.append(f"{name} is not installed from {pyproject.parent}")
        for pkg in (p.rstrip("*") for p in toml["tool"]["setuptools"]["packages"]["find"]["include"]):
            spec = importlib.util.find_spec(pkg)
            if spec is None or not Path(spec.origin or "").resolve().is_relative_to(pyproject.parent):
                own.append(f"package {pkg} is not imported from {pyproject.parent}")
        installed = {(e.group, e.name, e.value) for e in dist.entry_points}
        declared = {(g, n, v) for g, eps in project.get("entry-points", {}).items() for n, v in eps.items()}
        if installed != declared:
            own.append(f"{name}'s entry points changed since it was installed")
    except metadata.PackageNotFoundError:
        own.append(f"{name} (not installed)")
    while todo:
        req = todo.pop()
        key = (canonicalize_name(req.name), frozenset(req.extras), str(req.specifier))
        if key in seen:
            continue
        seen.add(key)
        try:
            dist = metadata.distribution(req.name)
        except metadata.PackageNotFoundError:
            problems.append(f"{req} (not installed)")
            continue
        pin = pinned.get(canonicalize_name(req.name))
        spec = req.specifier if pin is None or req == pin else None  # a pin overrides other packages' bounds
        if spec and not spec.contains(dist.version, prereleases=True):
            problems.append(f"{req} ({dist.version} installed)")
            continue
        for dep in map(Requirement, dist.requires or []):
            if dep.marker is None or any(dep.marker.evaluate({"extra": e}) for e in ["", *req.extras]):
                todo.append(dep)
    return own, problems


def main(argv: list[str]) -> int:
    pins = [argv[i + 1] for i, a in enumerate(argv) if a == "--pin"]
    extras = [a for i, a in enumerate(argv) if not a.startswith("-") and (i == 0 or argv[i - 1] != "--pin")]
    try:
        own, problems = unmet(ROOT / "pyproject.toml", extras, pins)
    except Exception as exc:  # noqa: BLE001 - any doubt means "let pip decide"
        own, problems = [], [f"could not check ({type(exc).__name__}: {exc})"]
    if "-v" in argv:
        print("\n".join(own + problems), file=sys.stderr)
    return 1 if problems else 2 if own else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
