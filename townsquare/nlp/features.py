"""Hashed word and character n-gram features, the same at training and at run time.

Feature hashing keeps models small and fixed in size (no vocabulary to ship) and lets
run-time code stay pure NumPy. The hash is our own (a polynomial over code points with
a 64-bit finaliser, NumPy wrap-around arithmetic) rather than Python's ``hash()``,
which changes with every process, or scikit-learn's, which we do not want at run time.
Each n-gram adds +1 or -1 (a second hash bit) so that collisions cancel out on average
instead of piling up. Each block (words, characters) is scaled by one over the square
root of its n-gram count, so long and short texts give vectors of similar length.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from townsquare.nlp.normalise import folded, normalise

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float32]

_P = np.uint64(0x100000001B3)  # FNV prime: odd and large, spreads code points well
_M1 = np.uint64(0xFF51AFD7ED558CCD)  # murmur3 fmix64 constants
_M2 = np.uint64(0xC4CEB9FE1A85EC53)
_S33 = np.uint64(33)
_S63 = np.uint64(63)
# One salt per (block, n) so that the word "ab" and the character bigram "ab" differ.
MAX_N = 15
_CHAR_SALTS = [np.uint64((0x9E3779B97F4A7C15 * (n + 1)) % 2**64) for n in range(MAX_N + 1)]
_WORD_SALTS = [np.uint64((0xD6E8FEB86659FD93 * (n + 1)) % 2**64) for n in range(MAX_N + 1)]

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_MENTION = re.compile(r"(?<![\w@])@[\w.]+(?:@[\w.-]+)?")
_REPEAT = re.compile(r"(.)\1{2,}")  # "sooooo" and "!!!!!" share features with "soo", "!!"
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
# Words (with an inner apostrophe) or single symbols: emoji and "!" carry sentiment.
_TOKEN = re.compile(r"\w+(?:'\w+)?|[^\s\w]")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class FeatureConfig:
    """How a text becomes features; saved inside every model file."""

    n_features: int = 2**18
    word_ngrams: tuple[int, int] = (1, 2)  # inclusive range; (0, 0) turns words off
    char_ngrams: tuple[int, int] = (2, 5)
    word_weight: float = 1.0
    char_weight: float = 1.0

    def __post_init__(self) -> None:
        if self.n_features <= 0 or self.n_features & (self.n_features - 1):
            raise ValueError("n_features must be a power of two")
        for lo, hi in (self.word_ngrams, self.char_ngrams):
            if not (0 <= lo <= hi <= MAX_N) or (hi and not lo):
                raise ValueError(f"n-gram ranges must be (0, 0) or 1 <= low <= high <= {MAX_N}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeatureConfig:
        return cls(
            n_features=int(data["n_features"]),
            word_ngrams=(int(data["word_ngrams"][0]), int(data["word_ngrams"][1])),
            char_ngrams=(int(data["char_ngrams"][0]), int(data["char_ngrams"][1])),
            word_weight=float(data["word_weight"]),
            char_weight=float(data["char_weight"]),
        )


def prepare(text: str) -> str:
    """The model's view of a text: normalised, case-folded, Arabic unified, links and
    account names replaced by placeholders (their exact form says nothing about
    sentiment), digits as one symbol, long letter repeats shortened."""
    return prepare_folded(folded(normalise(text)))


def prepare_folded(text: str) -> str:
    """``prepare`` of a text already through ``normalise`` and ``folded``."""
    if "http" in text or "www." in text:
        text = _URL.sub(" ⟨url⟩ ", text)
    if "@" in text:
        text = _MENTION.sub(" ⟨user⟩ ", text)
    text = _NUMBER.sub("0", text)
    text = _REPEAT.sub(r"\1\1", text)
    return _SPACES.sub(" ", text)


def _ngram_hashes(
    ids: npt.NDArray[np.uint64],
    lo: int,
    hi: int,
    salts: list[np.uint64],
    out: list[npt.NDArray[np.uint64]],
) -> int:
    """Appends the (unmixed, salted) hashes of every n-gram of ``ids`` for n in
    [lo, hi]; returns how many there were."""
    count = 0
    h = np.zeros(len(ids), dtype=np.uint64)
    for n in range(1, hi + 1):
        if n > len(ids):
            break
        # h[i] holds the hash of ids[i:i+n]: extend every window by one element.
        h = h[: len(ids) - n + 1] * _P + ids[n - 1 :]
        if n >= lo:
            out.append(h ^ salts[n])
            count += len(h)
    return count


def featurise(text: str, config: FeatureConfig) -> tuple[IntArray, FloatArray]:
    """Indices and values of a text's (sparse) feature vector; indices may repeat and
    repeated entries add up."""
    return featurise_prepared(prepare(text), config)


def featurise_prepared(prepared: str, config: FeatureConfig) -> tuple[IntArray, FloatArray]:
    """``featurise`` of a text already through ``prepare``."""
    prepared = prepared.strip()
    if not prepared:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
    hashes: list[npt.NDArray[np.uint64]] = []
    n_words = n_chars = 0
    if config.word_ngrams[1] > 0:
        tokens = _TOKEN.findall(prepared)
        if tokens:
            ids = np.array([zlib.crc32(t.encode("utf-8")) for t in tokens], dtype=np.uint64)
            n_words = _ngram_hashes(ids, *config.word_ngrams, _WORD_SALTS, hashes)
    if config.char_ngrams[1] > 0:
        padded = f" {prepared} "
        cps = np.frombuffer(padded.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        n_chars = _ngram_hashes(cps, *config.char_ngrams, _CHAR_SALTS, hashes)
    if not hashes:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
    h = np.concatenate(hashes)
    # murmur3's 64-bit finaliser: every input bit affects every output bit.
    h ^= h >> _S33
    h *= _M1
    h ^= h >> _S33
    h *= _M2
    h ^= h >> _S33
    idx = (h & np.uint64(config.n_features - 1)).astype(np.int64)
    values = np.empty(len(h), dtype=np.float32)
    if n_words:
        values[:n_words] = config.word_weight / np.sqrt(n_words)
    if n_chars:
        values[n_words:] = config.char_weight / np.sqrt(n_chars)
    values[(h >> _S63) == 1] *= -1
    return idx, values


def featurise_many(
    texts: list[str], config: FeatureConfig
) -> tuple[IntArray, FloatArray, IntArray]:
    """Features of many texts as CSR parts: indices, values and row offsets."""
    indices: list[IntArray] = []
    values: list[FloatArray] = []
    offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    for row, text in enumerate(texts):
        idx, val = featurise(text, config)
        indices.append(idx)
        values.append(val)
        offsets[row + 1] = offsets[row] + len(idx)
    if not texts:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32), offsets
    return np.concatenate(indices), np.concatenate(values), offsets
