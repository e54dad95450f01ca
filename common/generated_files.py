"""Files generated from a single source (recipe matrix, task list): write them, or check they are in sync."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def sync(root: Path, files: dict[str, str], check: bool) -> list[str]:
    """Write every root/relative-path -> text, or with `check` only list the paths whose content differs."""
    stale = []
    for rel, text in files.items():
        path = root / rel
        if check:
            if not path.exists() or path.read_text() != text:
                stale.append(rel)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    return stale


def cli(argv: list[str] | None, description: str, root: Path, files: dict[str, str], regenerate: str,
        noun: str = "files", orphans: str | None = None) -> int:
    """The `[--check]` command of a generator: write `files` under `root`, or exit 1 naming what is out of sync
    (with `orphans`, a glob under root, also files that match it but are no longer generated)."""
    p = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--check", action="store_true", help="fail if the files on disk differ from their source")
    a = p.parse_args(argv)
    stale = sync(root, files, a.check)
    if a.check and orphans:
        stale += sorted(rel for path in root.glob(orphans) if (rel := str(path.relative_to(root))) not in files)
    if stale:
        print(f"out of sync: {stale}; run `{regenerate}`", file=sys.stderr)
        return 1
    print(f"{len(files)} {noun} {'in sync' if a.check else 'written'}")
    return 0
