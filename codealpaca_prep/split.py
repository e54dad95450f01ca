"""Deterministic hash splits: a row's split depends only on its id and the seed, so adding rows moves none."""
from __future__ import annotations

import hashlib

SPLITS = (("train", 80), ("validation", 10), ("test", 10))


def split_of(row_id: str, seed: int = 0) -> str:
    bucket = int(hashlib.sha256(f"{seed}:{row_id}".encode()).hexdigest(), 16) % 100
    edge = 0
    for name, share in SPLITS:
        edge += share
        if bucket < edge:
            return name
    raise AssertionError("split shares must add up to 100")
