"""The project's folder in the user's cache (XDG_CACHE_HOME, else ~/.cache)."""
from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "codelora"
