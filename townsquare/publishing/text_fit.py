"""Fitting one post to each network: its length counted the way the network counts it,
long text split into a thread (networks with threads) or cut with an ellipsis (others).

Pure Python (no Django): the composer preview, the API and the publishing jobs share it.

Where a cut may fall, best first: between paragraphs, at a line break, after a sentence
(English/Arabic ``. ! ? ؟`` before a space, Chinese ``。！？；`` anywhere), after a clause
(``, ; : ، ؛ ，、：``), between words (spaces; any two Chinese/Japanese characters, which
need no space), and as the last resort between two grapheme clusters. A cut never falls
inside an extended grapheme cluster (emoji ZWJ sequences, flags, skin tones, letters with
harakat, Indic conjuncts) nor inside a URL; inside a hashtag only when the hashtag alone
is longer than a part. The text itself is never rewritten: no characters (bidi marks
included) are added or removed except whitespace at the cuts, the thread numbering and
the ellipsis.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import regex

from townsquare.channels.adapters.base import Capabilities, Network, TextLimit
from townsquare.channels.adapters.sms.text import is_gsm7, segment_count
from townsquare.channels.adapters.weibo.api import weibo_length

# Problem codes (stable: the composer translates them, analytics may count them).
EMPTY = "empty"
TOO_LONG_NO_THREADS = "too_long_no_threads"  # the network has no threads: the text was cut
TOO_MANY_PARTS = "too_many_parts"  # the thread is longer than max_parts
URL_TOO_LONG = "url_too_long"  # a URL alone does not fit in one part; it is never cut
GRAPHEME_TOO_LONG = "grapheme_too_long"  # one grapheme cluster alone does not fit

# Bluesky also caps the UTF-8 size of a post (app.bsky.feed.post#text maxLength); copied
# here rather than imported so this module does not load the atproto client library.
BLUESKY_MAX_BYTES = 3000

# --- Counting -----------------------------------------------------------------------

_GRAPHEME = regex.compile(r"\X")

# twitter-text configuration v3: code points in these ranges weigh 100, all others 200;
# the limit is in units of 100 ("scale"). An emoji sequence weighs 200 in total.
_X_SCALE = 100
_X_LIGHT_RANGES = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))
_X_DEFAULT_URL_LENGTH = 23

# URL characters: ASCII ones, accented Latin and Cyrillic (what twitter-text accepts in a
# path). An Arabic or Chinese letter ends the URL, so "详情见https://a.gov.cn/新闻" keeps
# the Chinese text breakable. Every network's own URL pattern accepts at least these, so
# a URL found here is never shorter than the network's: counting stays on the safe side.
_URL_CHARS = r"[A-Za-z0-9\-._~:/?#\[\]@!$&()*+,;=%|\u00C0-\u024F\u0400-\u04FF]"
# Python's re, not regex: its \w (no combining marks) is the one the X adapter uses.
_SCHEME_URL = re.compile(r"https?://" + _URL_CHARS + r"+", re.IGNORECASE)
_X_SCHEME_URL = re.compile(r"(?<![\w@.#$/])https?://" + _URL_CHARS + r"+", re.IGNORECASE)
# Bare domains are links on X only (twitter-text autolinks them): the generic domains it
# knows, and a two-letter country domain only when a path follows (as x/text.py does).
_TLDS = (
    "com|org|net|gov|edu|int|mil|info|biz|io|app|dev|news|online|site|xyz|blog|shop|"
    "travel|museum|africa|asia|health|global"
)
_BARE_URL = re.compile(
    r"(?<![\w@.#$/])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+"
    r"(?:(?:" + _TLDS + r")\b(?::\d+)?(?:/" + _URL_CHARS + r"*)?"
    r"|[a-z]{2}(?::\d+)?/" + _URL_CHARS + r"*)",
    re.IGNORECASE,
)
_URL_TRAILING = ".,;:!?'\")]}"


# Emoji as the X adapter's own check (x/text.py) finds them, so a part that fits here
# also passes that check: pictographs, regional indicator pairs (flags) and keycaps.
def _is_pictographic(cp: int) -> bool:
    return (
        0x1F000 <= cp <= 0x1FAFF
        or 0x1FC00 <= cp <= 0x1FFFD
        or 0x2600 <= cp <= 0x27BF
        or 0x2300 <= cp <= 0x23FF
        or 0x2B00 <= cp <= 0x2BFF
        or 0x2190 <= cp <= 0x21FF
        or cp in (0x203C, 0x2049, 0x2122, 0x2139, 0x3030, 0x303D, 0x3297, 0x3299)
    )


def _is_emoji_modifier(cp: int) -> bool:  # skin tones, tags, variation selectors
    return 0x1F3FB <= cp <= 0x1F3FF or 0xE0020 <= cp <= 0xE007F or cp in (0xFE0E, 0xFE0F)


def _trim_url(text: str, start: int, end: int) -> int:
    """End of the URL once trailing punctuation that belongs to the sentence is dropped
    (a closing parenthesis stays when the URL opened one, as in Wikipedia links)."""
    while end > start and text[end - 1] in _URL_TRAILING:
        if text[end - 1] == ")" and text.count("(", start, end) >= text.count(")", start, end):
            break
        end -= 1
    return end


def url_spans(text: str, *, x_rules: bool | None = None) -> list[tuple[int, int]]:
    """(start, end) of each URL in ``text``, in order, not overlapping.

    ``x_rules=True``: links as X finds them (bare domains too, but no link glued to the
    word before it, "wordhttps://…"); ``False``: links with a scheme wherever they start,
    as Mastodon counts them; ``None`` (where a cut may not fall): every one of those.
    """
    scheme = _X_SCHEME_URL if x_rules else _SCHEME_URL
    found = [(m.start(), _trim_url(text, m.start(), m.end())) for m in scheme.finditer(text)]
    if x_rules is not False:
        for match in _BARE_URL.finditer(text):
            end = _trim_url(text, match.start(), match.end())
            overlaps = any(s < end and match.start() < e for s, e in found)
            if end > match.start() and not overlaps:
                found.append((match.start(), end))
    return sorted(found)


def _plain_length(text: str, counting: str) -> int:
    if counting == "graphemes":
        return len(_GRAPHEME.findall(text))
    if counting == "utf16_units":
        return len(text.encode("utf-16-le")) // 2
    if counting == "bytes":
        return len(text.encode("utf-8"))
    return len(text)  # code_points


def _x_weight(cp: int) -> int:
    if cp <= 4351:
        return 1
    return 1 if any(lo <= cp <= hi for lo, hi in _X_LIGHT_RANGES) else 2


def _emoji_end(cluster: str) -> int:
    """How many code points at the start of the cluster form one emoji (0: none)."""
    cps = [ord(ch) for ch in cluster]
    first = cps[0]
    second = cps[1] if len(cps) > 1 else -1
    if 0x1F1E6 <= first <= 0x1F1FF:  # a flag is a pair of regional indicators
        return 2 if 0x1F1E6 <= second <= 0x1F1FF else 1
    if cluster[0] in "0123456789#*":  # a keycap (1️⃣) is an emoji, a bare digit is not
        j = 1 + (second == 0xFE0F)
        return j + 1 if j < len(cps) and cps[j] == 0x20E3 else 0
    if first in (0xA9, 0xAE):  # © and ® are emoji only with the emoji presentation selector
        return 2 if second == 0xFE0F else 0
    if not _is_pictographic(first):
        return 0
    j = 1
    while True:
        while j < len(cps) and _is_emoji_modifier(cps[j]):
            j += 1
        if j + 1 < len(cps) and cps[j] == 0x200D and _is_pictographic(cps[j + 1]):
            j += 2
            continue
        return j


@lru_cache(maxsize=8192)  # the same letters and emoji come back again and again
def _weighted_cluster(cluster: str) -> int:
    """Weight of one grapheme cluster under twitter-text's rules, in scale units: an
    emoji sequence (modifiers, variation selectors, ZWJ joins) weighs 200 in all, every
    other code point 100 in the light ranges and 200 outside them."""
    end = _emoji_end(cluster)
    rest = sum(_x_weight(ord(ch)) for ch in cluster[end:]) * _X_SCALE
    return rest + (2 * _X_SCALE if end else 0)


def _weighted_length(text: str, url_length: int | None) -> int:
    text = unicodedata.normalize("NFC", text)  # twitter-text counts the NFC form
    total = 0
    position = 0
    for start, end in url_spans(text, x_rules=True):
        total += sum(_weighted_cluster(c) for c in _GRAPHEME.findall(text[position:start]))
        if url_length is None:
            total += sum(_weighted_cluster(c) for c in _GRAPHEME.findall(text[start:end]))
        else:
            total += url_length * _X_SCALE
        position = end
    total += sum(_weighted_cluster(c) for c in _GRAPHEME.findall(text[position:]))
    return total // _X_SCALE


def count_length(text: str, limit: TextLimit) -> int:
    """Length of ``text`` as a network with this limit counts it.

    "graphemes": extended grapheme clusters; "code_points"; "utf16_units"; "bytes"
    (UTF-8); "weighted": X's twitter-text weighting (see ``_weighted_cluster``). Where
    ``limit.url_length`` is set every URL counts as that many characters.
    """
    if limit.counting == "weighted":
        return _weighted_length(text, limit.url_length)
    if limit.url_length is None:
        return _plain_length(text, limit.counting)
    total = 0
    position = 0
    for start, end in url_spans(text, x_rules=False):
        total += _plain_length(text[position:start], limit.counting) + limit.url_length
        position = end
    return total + _plain_length(text[position:], limit.counting)


def network_length(text: str, capabilities: Capabilities) -> int:
    """Length as the network itself counts it. Two networks declare "weighted" with a
    meaning of their own: Weibo (two half-width characters count as one) and SMS (the
    length is the number of segments, GSM-7 or UCS-2)."""
    if capabilities.network == Network.SMS:
        return segment_count(text)
    if capabilities.network == Network.WEIBO:
        return weibo_length(text)
    return count_length(text, capabilities.text)


def _fits_function(capabilities: Capabilities) -> Callable[[str], bool]:
    maximum = capabilities.text.max_length
    if capabilities.network == Network.BLUESKY:
        return lambda text: (
            network_length(text, capabilities) <= maximum
            and len(text.encode("utf-8")) <= BLUESKY_MAX_BYTES
        )
    return lambda text: network_length(text, capabilities) <= maximum


# --- Where a cut may fall -------------------------------------------------------------

FORCED, GRAPHEME, WORD, CLAUSE, SENTENCE, LINE, PARAGRAPH = range(7)

_HASHTAG = regex.compile(r"(?<![\p{L}\p{M}\p{N}_&#＃])[#＃][\p{L}\p{M}\p{N}_\u200c\u200d]+[#＃]?")
_WHITESPACE = regex.compile(r"\s+")
_CLOSERS = "\"'”’»」』）)]】》〉"
_OPENERS = "\"'“‘«「『（([【《〈"
_SENTENCE_END = ".!?؟…"
_CLAUSE_END = ",;:،؛"
_CJK_SENTENCE = regex.compile(r"[。！？；！？]+[" + regex.escape(_CLOSERS) + r"]*")
_CJK_CLAUSE = regex.compile(r"[，、：]")
_CJK = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}]")
# Chinese/Japanese punctuation that must not begin a line (kinsoku).
_NO_LINE_START = set("。．，、：；！？）」』】》〉”’…—～・ー") | set(_CLOSERS)


@dataclass(frozen=True)
class _Layout:
    """The clusters of a text and the offsets where it may be cut, with their rank."""

    text: str
    cluster_starts: list[int]
    cluster_space: list[bool]  # True when the cluster is whitespace only
    breaks: list[int]  # offsets 0 < o <= len(text), ascending; len(text) always last
    rank: list[int]
    urls: list[tuple[int, int]]

    def cluster_at(self, offset: int) -> int:
        return bisect_right(self.cluster_starts, offset) - 1

    def skip_space(self, offset: int) -> int:
        if offset >= len(self.text):
            return len(self.text)
        index = self.cluster_at(offset)
        while index < len(self.cluster_starts) and self.cluster_space[index]:
            index += 1
        return self.cluster_starts[index] if index < len(self.cluster_starts) else len(self.text)

    def trim_end(self, start: int, end: int) -> int:
        """``end`` moved back over whitespace clusters (never below ``start``)."""
        index = self.cluster_at(end - 1) if end > 0 else -1
        while index >= 0 and self.cluster_starts[index] >= start and self.cluster_space[index]:
            end = self.cluster_starts[index]
            index -= 1
        return end


def _whitespace_level(text: str, match: regex.Match[str]) -> int:
    """Rank of the cut just after a run of whitespace."""
    run = match.group()
    newlines = run.count("\n") + 2 * run.count("\u2029")  # U+2029 separates paragraphs
    if newlines >= 2:
        return PARAGRAPH
    if newlines == 1:
        return LINE
    before = match.start() - 1
    while before >= 0 and text[before] in _CLOSERS:  # 'He said "stop." Then'
        before -= 1
    if before >= 0 and text[before] in _SENTENCE_END:
        return SENTENCE
    if before >= 0 and text[before] in _CLAUSE_END:
        return CLAUSE
    return WORD


def _ranks(text: str, starts: list[int]) -> dict[int, int]:
    """Offset → rank of every place the text may be cut."""
    rank: dict[int, int] = dict.fromkeys(starts[1:], GRAPHEME)
    rank[len(text)] = PARAGRAPH

    def raise_to(offset: int, level: int) -> None:
        if offset in rank and rank[offset] < level:
            rank[offset] = level

    for match in _WHITESPACE.finditer(text):
        raise_to(match.end(), _whitespace_level(text, match))
    for match in _CJK_SENTENCE.finditer(text):
        raise_to(match.end(), SENTENCE)
    for match in _CJK_CLAUSE.finditer(text):
        raise_to(match.end(), CLAUSE)
    for offset in starts[1:]:
        # Between Chinese/Japanese characters a line may break anywhere, except before
        # closing punctuation or after an opening bracket.
        prev, nxt = text[offset - 1], text[offset]
        if (
            (_CJK.match(prev) or _CJK.match(nxt))
            and nxt not in _NO_LINE_START
            and prev not in _OPENERS
            and not prev.isspace()
        ):
            raise_to(offset, WORD)
    return rank


def _layout(text: str) -> _Layout:
    starts: list[int] = []
    spaces: list[bool] = []
    for match in _GRAPHEME.finditer(text):
        starts.append(match.start())
        spaces.append(match.group().isspace())
    rank = _ranks(text, starts)
    for match in _HASHTAG.finditer(text):  # a hashtag is cut only if it must be
        for offset in range(match.start() + 1, match.end()):
            if offset in rank:
                rank[offset] = FORCED
    urls = url_spans(text)
    for start, end in urls:  # a URL is never cut
        for offset in range(start + 1, end):
            rank.pop(offset, None)
    breaks = sorted(rank)
    return _Layout(text, starts, spaces, breaks, [rank[o] for o in breaks], urls)


# --- Fitting --------------------------------------------------------------------------


@dataclass(frozen=True)
class FitResult:
    parts: tuple[str, ...]  # one part, or a thread (numbered when asked); () when empty
    lengths: tuple[int, ...]  # network_length of each part (count_length for most)
    split: bool  # True when it became a thread
    truncated: bool  # True when text had to be cut (network without threads)
    problems: tuple[str, ...]  # stable codes, see the constants at the top


_Levels = tuple[tuple[int, float], ...]

# How far back from the longest piece that fits a better-ranked cut may be chosen, as a
# share of that piece: a paragraph break in its last half beats a word break at its end.
_THREAD_LEVELS = ((PARAGRAPH, 0.5), (LINE, 0.5), (SENTENCE, 0.5), (CLAUSE, 0.6), (WORD, 0.0))
# A cut text keeps as much as fits: the last word boundary if it is in the last half,
# else the last grapheme boundary.
_TRUNCATE_LEVELS = ((WORD, 0.5),)


class _Cutter:
    def __init__(self, layout: _Layout, fits: Callable[[str], bool]) -> None:
        self.layout = layout
        self.fits = fits

    def piece(self, start: int, index: int, suffix: str) -> tuple[int, bool]:
        end = self.layout.trim_end(start, self.layout.breaks[index])
        return end, self.fits(self.layout.text[start:end] + suffix)

    def cut(self, start: int, suffix: str, *, levels: _Levels) -> tuple[int, str | None]:
        """End of the best piece from ``start`` that fits with ``suffix`` appended (cuts
        of the given ``levels`` preferred, best first), and a problem code when even the
        smallest piece does not fit (it is then returned whole)."""
        layout = self.layout
        first = bisect_right(layout.breaks, start)
        last = len(layout.breaks) - 1
        if not self.piece(start, first, suffix)[1]:
            return layout.breaks[first], self._oversize(start, layout.breaks[first])
        # Gallop, then bisect (a piece only grows with its end): the cost stays
        # proportional to the part, not to the rest of a long text.
        good, step, bad = first, 1, -1
        while bad < 0 and good < last:
            probe = min(good + step, last)
            if self.piece(start, probe, suffix)[1]:
                good, step = probe, step * 2
            else:
                bad = probe
        while bad - good > 1:
            middle = (good + bad) // 2
            if self.piece(start, middle, suffix)[1]:
                good = middle
            else:
                bad = middle
        return layout.breaks[self._best(start, first, good, levels)], None

    def _best(self, start: int, first: int, good: int, levels: _Levels) -> int:
        layout = self.layout
        longest = layout.breaks[good] - start
        for level, share in levels:
            floor = start + longest * share
            index = good
            while index >= first and layout.breaks[index] > floor:
                if layout.rank[index] >= level:
                    return index
                index -= 1
        index = good
        while index > first and layout.rank[index] < GRAPHEME:
            index -= 1
        return index

    def _oversize(self, start: int, end: int) -> str:
        if any(s < end and start < e for s, e in self.layout.urls):
            return URL_TOO_LONG
        return GRAPHEME_TOO_LONG


def _trim(text: str) -> str:
    """Whitespace removed from both ends, but never a space that carries a combining
    mark (a cluster of its own). Trailing whitespace never starts a cluster it shares."""
    text = text.rstrip()
    start = len(text) - len(text.lstrip())
    if start and (cluster := _GRAPHEME.match(text, start - 1)) and cluster.end() > start:
        start -= 1
    return text[start:]


def _thread(cutter: _Cutter, total: int | None) -> tuple[list[str], list[str]]:
    """Pieces of the whole text; numbered " i/total" when ``total`` is given."""
    layout = cutter.layout
    pieces: list[str] = []
    problems: list[str] = []
    start = 0
    while start < len(layout.text):
        suffix = f" {len(pieces) + 1}/{total}" if total else ""
        end, problem = cutter.cut(start, suffix, levels=_THREAD_LEVELS)
        trimmed = layout.trim_end(start, end)
        pieces.append(layout.text[start:trimmed])
        if problem and problem not in problems:
            problems.append(problem)
        start = layout.skip_space(end)
    return pieces, problems


def fit_text(
    text: str,
    capabilities: Capabilities,
    *,
    max_parts: int = 25,
    numbering: bool = True,
    ellipsis: str = "…",
) -> FitResult:
    """The text as it can be posted to the network of ``capabilities``."""
    text = _trim(text)
    if not text:
        return FitResult((), (), split=False, truncated=False, problems=(EMPTY,))
    fits = _fits_function(capabilities)

    def measured(parts: list[str]) -> tuple[int, ...]:
        return tuple(network_length(part, capabilities) for part in parts)

    if fits(text):
        return FitResult((text,), measured([text]), split=False, truncated=False, problems=())
    cutter = _Cutter(_layout(text), fits)

    if not capabilities.threads:
        if capabilities.network == Network.SMS and not is_gsm7(ellipsis):
            # "…" is not in the GSM-7 alphabet: it would switch a Latin message to UCS-2
            # and cut its capacity from 153 to 67 characters a segment.
            ellipsis = "..."
        end, problem = cutter.cut(0, ellipsis, levels=_TRUNCATE_LEVELS)
        kept = text[: cutter.layout.trim_end(0, end)]
        if problem:  # the first URL or cluster alone is too long: nothing sensible to cut
            part, problems = kept, [problem]
        else:
            part, problems = kept + ellipsis, []
        truncated = len(kept) < len(text)
        if truncated:
            problems.insert(0, TOO_LONG_NO_THREADS)
        return FitResult(
            (part,), measured([part]), split=False, truncated=truncated, problems=tuple(problems)
        )

    if not numbering:
        pieces, problems = _thread(cutter, None)
        parts = pieces
    else:
        # The numbering " i/n" is counted in the limit and its width depends on n: room
        # is reserved for " i/9", then " i/99"… until the real count is no wider (ASCII
        # digits weigh the same on every network, so the real numbering fits too).
        guess = 9
        while True:
            pieces, problems = _thread(cutter, guess)
            if len(pieces) <= guess:
                break
            guess = 10 ** len(str(len(pieces))) - 1
        total = len(pieces)
        parts = [f"{p} {i}/{total}" for i, p in enumerate(pieces, 1)] if total > 1 else pieces
    if len(parts) > max_parts:
        problems.append(TOO_MANY_PARTS)
    return FitResult(
        tuple(parts),
        measured(parts),
        split=len(parts) > 1,
        truncated=False,
        problems=tuple(problems),
    )
