"""Files generated from a single source (recipe matrix, task list): write them, or check they are in sync."""
from __future__ import annotations

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
