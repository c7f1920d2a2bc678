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

import itertools
import re
import zlib
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from townsquare.nlp.normalise import folded, normalise, search_text_of_folded

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
    # Count each distinct n-gram of a text once (binary term frequency): a long review
    # that repeats a common character many times is not more positive for it.
    binary: bool = False
    # Cut Chinese into words (jieba, as for search) before the n-grams: word n-grams
    # then see real words, and character n-grams see where words start and end.
    segment: bool = False

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
            binary=bool(data.get("binary", False)),
            segment=bool(data.get("segment", False)),
        )


def prepare(text: str, config: FeatureConfig | None = None) -> str:
    """The model's view of a text: normalised, case-folded, Arabic unified, links and
    account names replaced by placeholders (their exact form says nothing about
    sentiment), digits as one symbol, long letter repeats shortened; Chinese cut into
    words when the configuration asks for it."""
    return prepare_for(folded(normalise(text)), config)


def prepare_for(
    folded_text: str, config: FeatureConfig | None, *, segmented: str | None = None
) -> str:
    """``prepare`` of a text already through ``normalise`` and ``folded``;
    ``segmented`` may pass ``search_text_of_folded(folded_text, "zh")`` when the caller
    has it already (enrichment does), to save cutting the text twice."""
    if config is not None and config.segment:
        if segmented is None:
            segmented = search_text_of_folded(folded_text, "zh")
        return prepare_folded(segmented)
    return prepare_folded(folded_text)


def prepare_folded(text: str) -> str:
    """``prepare`` of a text already through ``normalise`` and ``folded``."""
    if "http" in text or "www." in text:
        text = _URL.sub(" ⟨url⟩ ", text)
    if "@" in text:
        text = _MENTION.sub(" ⟨user⟩ ", text)
    text = _NUMBER.sub("0", text)
    text = _REPEAT.sub(r"\1\1", text)
    return _SPACES.sub(" ", text)


def featurise(text: str, config: FeatureConfig) -> tuple[IntArray, FloatArray]:
    """Indices and values of a text's (sparse) feature vector; indices may repeat and
    repeated entries add up."""
    return featurise_prepared(prepare(text, config), config)


def featurise_prepared(prepared: str, config: FeatureConfig) -> tuple[IntArray, FloatArray]:
    """``featurise`` of a text already through ``prepare``."""
    indices, values, _ = featurise_prepared_many([prepared], config)
    return indices, values


def featurise_many(
    texts: list[str], config: FeatureConfig
) -> tuple[IntArray, FloatArray, IntArray]:
    """Features of many texts as CSR parts: indices, values and row offsets."""
    return featurise_prepared_many([prepare(text, config) for text in texts], config)


def featurise_prepared_many(
    prepared: list[str], config: FeatureConfig
) -> tuple[IntArray, FloatArray, IntArray]:
    """``featurise_many`` of texts already through ``prepare``: CSR parts, each row's
    entries in the order ``featurise_prepared`` gives them."""
    rows, indices, values = hashed_batch(prepared, config)
    counts = np.bincount(rows, minlength=len(prepared))
    offsets = np.zeros(len(prepared) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    # A stable sort keeps each row's entries in their batch order (words by n, then
    # characters by n), which is also the order one text alone gives.
    order = np.argsort(rows, kind="stable")
    return indices[order], values[order], offsets


_TOKEN_IDS: dict[str, int] = {}
_TOKEN_CACHE_SIZE = 200_000


def _token_ids(tokens: list[str]) -> list[int]:
    """CRC-32 of each word, remembered: word frequencies are steep, so a few thousand
    words make up most of any stream, and a dictionary hit is cheaper than encoding."""
    cache = _TOKEN_IDS
    if len(cache) > _TOKEN_CACHE_SIZE:
        cache.clear()  # bounded memory; the common words come back within a batch
    ids: list[int | None] = list(map(cache.get, tokens))
    if None in ids:
        for position, token in enumerate(tokens):
            if ids[position] is None:
                value = cache.get(token)
                if value is None:
                    value = cache[token] = zlib.crc32(token.encode("utf-8"))
                ids[position] = value
    return ids  # type: ignore[return-value]  # no None is left


def _windows(  # noqa: PLR0917 - one private helper called from one place
    ids: npt.NDArray[np.uint64],
    row_of: IntArray,
    row_end: IntArray,
    lo: int,
    hi: int,
    salts: list[np.uint64],
    hashes: list[npt.NDArray[np.uint64]],
    rows: list[IntArray],
) -> None:
    """Appends the salted hashes of every n-gram (lo <= n <= hi) that lies inside one
    text of a batch whose texts are laid end to end in ``ids``; ``row_end[i]`` is where
    the text holding position i ends."""
    h = np.zeros(len(ids), dtype=np.uint64)
    positions = np.arange(len(ids), dtype=np.int64)
    for n in range(1, hi + 1):
        if n > len(ids):
            break
        # h[i] holds the hash of ids[i:i+n]: extend every window by one element. The
        # hash depends only on the window's content, so it is the one a text alone gets.
        h = h[: len(ids) - n + 1] * _P + ids[n - 1 :]
        if n >= lo:
            inside = positions[: len(h)] + n <= row_end[: len(h)]
            hashes.append(h[inside] ^ salts[n])
            rows.append(row_of[: len(h)][inside])


def _layout(lengths: list[int]) -> tuple[IntArray, IntArray]:
    """For texts of these lengths laid end to end: the row of each position and the
    position where its row ends."""
    sizes = np.array(lengths, dtype=np.int64)
    ends = np.cumsum(sizes)
    return np.repeat(np.arange(len(sizes), dtype=np.int64), sizes), np.repeat(ends, sizes)


def hashed_batch(
    prepared: list[str], config: FeatureConfig
) -> tuple[IntArray, IntArray, FloatArray]:
    """(row, index, value) of every feature of a batch of prepared texts, in one NumPy
    pass per n-gram order instead of one per text: rows are grouped by block and n,
    and within a row the entries keep the order a text alone gives."""
    texts = [text.strip() for text in prepared]
    hashes: list[npt.NDArray[np.uint64]] = []
    rows: list[IntArray] = []
    n_blocks = 0
    if config.word_ngrams[1] > 0:
        tokens = [_TOKEN.findall(text) for text in texts]
        flat = list(itertools.chain.from_iterable(tokens))
        if flat:
            ids = np.array(_token_ids(flat), dtype=np.uint64)
            row_of, row_end = _layout([len(row) for row in tokens])
            _windows(ids, row_of, row_end, *config.word_ngrams, _WORD_SALTS, hashes, rows)
        n_blocks = len(rows)
    if config.char_ngrams[1] > 0:
        # " text " for every non-empty text: spaces mark where words start and end.
        padded = [f" {text} " if text else "" for text in texts]
        cps = np.frombuffer("".join(padded).encode("utf-32-le"), dtype=np.uint32)
        if len(cps):
            row_of, row_end = _layout([len(text) for text in padded])
            _windows(
                cps.astype(np.uint64),
                row_of,
                row_end,
                *config.char_ngrams,
                _CHAR_SALTS,
                hashes,
                rows,
            )
    if not hashes:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float32)
    h = np.concatenate(hashes)
    row = np.concatenate(rows)
    is_word = np.zeros(len(h), dtype=bool)
    is_word[: sum(len(part) for part in hashes[:n_blocks])] = True
    # murmur3's 64-bit finaliser: every input bit affects every output bit.
    h ^= h >> _S33
    h *= _M1
    h ^= h >> _S33
    h *= _M2
    h ^= h >> _S33
    if config.binary:
        # Keep the first occurrence of each (row, n-gram); blocks and orders have their
        # own salts, so a word and a character n-gram never count as one.
        order = np.lexsort((h, row))
        first = np.ones(len(order), dtype=bool)
        first[1:] = (row[order][1:] != row[order][:-1]) | (h[order][1:] != h[order][:-1])
        keep = np.sort(order[first])
        h, row, is_word = h[keep], row[keep], is_word[keep]
    word_counts = np.bincount(row[is_word], minlength=len(texts))
    char_counts = np.bincount(row[~is_word], minlength=len(texts))
    index = (h & np.uint64(config.n_features - 1)).astype(np.int64)
    # One over the square root of each block's n-gram count in the row (float32, the
    # same arithmetic for a row whatever else is in the batch).
    with np.errstate(divide="ignore"):
        word_scale = (config.word_weight / np.sqrt(word_counts)).astype(np.float32)
        char_scale = (config.char_weight / np.sqrt(char_counts)).astype(np.float32)
    scale = np.where(is_word, word_scale[row], char_scale[row])
    scale[(h >> _S63) == 1] *= -1
    return row, index, scale


def unit_rows(
    rows: IntArray,
    indices: IntArray,
    values: FloatArray,
    scale: npt.NDArray[np.floating[Any]],
    n_rows: int,
) -> FloatArray:
    """Values multiplied by a per-feature scale (idf) and each row divided by its length
    (the square root of the sum of its squared entries, before repeated indices are
    added up): TF-IDF with unit-length rows, the same at training and at run time."""
    scaled = values * scale[indices].astype(np.float32)
    squares = np.bincount(rows, weights=np.square(scaled, dtype=np.float64), minlength=n_rows)
    lengths = np.sqrt(squares)
    lengths[lengths == 0] = 1.0
    return (scaled / lengths[rows]).astype(np.float32)
