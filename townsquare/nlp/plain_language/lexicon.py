"""Word lists shipped in data/: loaded once, on first use, and kept for the process."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"


@cache
def entries(name: str) -> dict[str, str]:
    """``{phrase: plainer alternative}`` from data/<name>.json; "" means "leave it out"."""
    with (DATA_DIR / f"{name}.json").open(encoding="utf-8") as handle:
        payload = json.load(handle)
    loaded = payload["entries"]
    if not isinstance(loaded, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and k.strip() for k, v in loaded.items()
    ):
        raise ValueError(f"{name}.json: entries must map non-empty phrases to strings")
    return loaded


def word_lists(name: str) -> dict[str, list[str]]:
    """Named lists of words from data/<name>.json (every key but "about")."""
    with (DATA_DIR / f"{name}.json").open(encoding="utf-8") as handle:
        payload = json.load(handle)
    return {key: value for key, value in payload.items() if key != "about"}
