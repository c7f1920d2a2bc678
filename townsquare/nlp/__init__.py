"""Language enrichment: pure Python (no Django), usable and testable on its own.

``from townsquare.nlp import enrich`` gives the one-call analysis of a text. The heavier
modules (NumPy models, jieba) load on first use, so importing a light submodule such as
``townsquare.nlp.normalise`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from townsquare.nlp.enrichment import Enrichment, enrich

__all__ = ["Enrichment", "enrich"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from townsquare.nlp import enrichment as module

        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
