"""Language-neutral text plumbing: links masked out, words, sentences, offsets.

Everything here keeps offsets into the author's original text. Links, e-mail
addresses, mentions and hashtags are "protected": they are blanked to spaces of the
same length before any measure runs, so they are never counted as words and no
pattern can fire inside them, and every index found in the masked copy is still an
index into the original.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeAlias

import regex

# Links end before trailing sentence punctuation ("see https://x.gov/a." ends at "a").
_URL_CHARS = r"[^\s<>\"'`\u200b-\u200f\u202a-\u202e\u2066-\u2069\x00]"
# Each kind of protected span has its own pattern, run only when a cheap test shows
# the text could hold one: most posts have no "@" or "#", and every pattern costs a
# pass over the text.
_PROTECTED: tuple[tuple[str, re.Pattern[str]], ...] = (
    # e-mail address (starting only at a word start, so failed tries stay linear)
    ("@", re.compile(r"(?<![\w.+\-])[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")),
    # @mention or fediverse handle
    ("@", re.compile(r"(?<![\w@])@[\w.\-]*\w(?:@[\w\-]+(?:\.[\w\-]+)+)?")),
    # hashtag, Weibo-style #topic#
    ("#", re.compile(r"(?<![\w#])#[\w\-]*\w|#[^#\s]{1,40}#")),
    # link with a scheme (also "http://localhost/x", which has no dot), or www.
    ("://", re.compile(r"(?i:https?|ftp)://" + _URL_CHARS + "+")),
    (".", re.compile(r"(?<![\w.\-])(?i:www)\." + _URL_CHARS + "+")),
    # host with a path (gov.uk/apply), or a bare domain with a well-known ending
    (
        ".",
        re.compile(
            r"(?<![\w@.\-])[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\."
            r"(?:[A-Za-z]{2,24}/" + _URL_CHARS + "*"
            r"|(?i:gov|org|com|net|edu|int|info|io|uk|ae|sa|qa|om|bh|kw|eg|jo|ma|cn|hk|sg"
            r"|tw|au|nz|ca|us|eu|de|fr)(?![\w\-]|\.\w))",
        ),
    ),
)
# A dot with no space after it: the only way a link or domain can appear.
_MAYBE_LINK = re.compile(r"\.[^\s.]")
_TRAILING_PUNCT = ".,;:!?)]}>»\"'’”…،؛。，！？；：）】」』"

# A word: letters and digits with their marks, joiners and emoji skin tones (so a
# word never ends inside a grapheme cluster), inner apostrophes and hyphens allowed.
_WORD_PART = r"[\p{L}\p{N}][\p{L}\p{M}\p{N}\p{Emoji_Modifier}\u200c\u200d]*"
# Numbers written with separators ("5.30", "10:45", "1,000") are one word each.
WORD = regex.compile(
    r"\p{N}+(?:[.,:]\p{N}+)+(?![\p{L}\p{N}])|" + _WORD_PART + r"(?:['’\-]" + _WORD_PART + r")*"
)
_GRAPHEME = regex.compile(r"\X", regex.DOTALL)

# Arabic marks and tatweel are dropped when matching; letter variants written
# interchangeably are folded to one form. Kept here, not in a shared module, so the
# checker has no dependency on the rest of townsquare.nlp.
ARABIC_DROP = frozenset(
    [chr(c) for c in range(0x0610, 0x061B)]
    + [chr(c) for c in range(0x064B, 0x0660)]
    + ["\u0670", "\u0640"]
    + [chr(c) for c in range(0x06D6, 0x06EE)]
)
_FOLD_TABLE = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ٲ": "ا",
        "ٳ": "ا",
        "ى": "ي",
        "ی": "ي",
        "ک": "ك",
        "ة": "ه",
        "’": "'",
        "\u00a0": " ",
    }
)
_HAS_DROP = regex.compile("[" + "".join(sorted(ARABIC_DROP)) + "]")


@dataclass(frozen=True)
class Prepared:
    """The original text, its masked copy and the protected spans (sorted)."""

    text: str
    masked: str
    protected: tuple[tuple[int, int], ...]


def prepare(text: str) -> Prepared:
    found: list[tuple[int, int, str]] = []
    maybe_link = _MAYBE_LINK.search(text) is not None
    for trigger, pattern in _PROTECTED:
        if (trigger == "." and not maybe_link) or (trigger != "." and trigger not in text):
            continue
        found += [(m.start(), m.end(), m.group()) for m in pattern.finditer(text)]
    if not found:
        return Prepared(text=text, masked=text, protected=())
    spans: list[tuple[int, int]] = []
    for start, _found_end, value in sorted(found):
        end = start + len(_strip_trailing(value))
        if spans and start < spans[-1][1]:
            # Overlapping finds (an e-mail also looks like a domain): merge them.
            spans[-1] = (spans[-1][0], max(spans[-1][1], end))
        else:
            spans.append((start, end))
    pieces: list[str] = []
    last = 0
    for start, end in spans:
        pieces.append(text[last:start])
        pieces.append(" " * (end - start))
        last = end
    pieces.append(text[last:])
    return Prepared(text=text, masked="".join(pieces), protected=tuple(spans))


def _strip_trailing(link: str) -> str:
    """A link followed by punctuation ("see gov.uk/bus.") ends before the punctuation."""
    while len(link) > 1 and link[-1] in _TRAILING_PUNCT:
        # Keep a closing bracket that belongs to the link (Wikipedia-style paths).
        if link[-1] == ")" and link.count("(") >= link.count(")"):
            break
        link = link[:-1]
    return link


@dataclass(frozen=True)
class Folded:
    """Text folded for matching (lower case, Arabic marks dropped, variants unified).

    ``index[i]`` is the original index of folded character ``i``; ``None`` means the
    fold kept every character in place.
    """

    text: str
    index: list[int] | None

    def span(self, start: int, end: int, original: str) -> tuple[int, int]:
        if self.index is None:
            return start, end
        first = self.index[start]
        stop = self.index[end - 1] + 1
        # Marks that followed the last matched letter belong with it.
        while stop < len(original) and original[stop] in ARABIC_DROP:
            stop += 1
        return first, stop


def _lower_same_length(value: str) -> str:
    lowered = value.lower()
    if len(lowered) == len(value):
        return lowered
    # A few characters (e.g. "İ") lower to two code points; keep those as they are so
    # positions stay aligned.
    return "".join(ch.lower() if len(ch.lower()) == 1 else ch for ch in value)


def fold(value: str) -> Folded:
    translated = _lower_same_length(value.translate(_FOLD_TABLE))
    if not _HAS_DROP.search(translated):
        return Folded(text=translated, index=None)
    keep = [i for i, ch in enumerate(translated) if ch not in ARABIC_DROP]
    return Folded(text="".join(translated[i] for i in keep), index=keep)


def fold_phrase(value: str) -> str:
    """The folded form of a list entry, with runs of white space made single."""
    return " ".join(fold(value).text.split())


# Tokens are the regex match objects themselves: building a tuple per word cost more
# than the whole word search.
WordMatch: TypeAlias = "regex.Match[str]"


def words(masked: str) -> list[WordMatch]:
    return list(WORD.finditer(masked))


def sentence_spans(masked: str, boundary: regex.Pattern[str]) -> list[tuple[int, int]]:
    """Spans between sentence boundaries, trimmed; spans without a word are dropped."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in boundary.finditer(masked):
        spans.append((start, match.end()))
        start = match.end()
    spans.append((start, len(masked)))
    result = []
    for s, e in spans:
        chunk = masked[s:e]
        stripped = chunk.strip()
        if not stripped or not WORD.search(stripped):
            continue
        lead = len(chunk) - len(chunk.lstrip())
        result.append((s + lead, s + lead + len(stripped)))
    return result


def sentence_word_counts(
    tokens: Sequence[WordMatch], sentences: Sequence[tuple[int, int]]
) -> list[int]:
    """How many of the (sorted) tokens fall inside each (sorted) sentence span."""
    starts = [t.start() for t in tokens]
    return [
        bisect.bisect_left(starts, end) - bisect.bisect_left(starts, start)
        for start, end in sentences
    ]


def overlaps(start: int, end: int, protected: Sequence[tuple[int, int]]) -> bool:
    at = bisect.bisect_left(protected, (end, end))
    return at > 0 and protected[at - 1][1] > start


def longest_unprotected(
    start: int, end: int, masked: str, protected: Sequence[tuple[int, int]]
) -> tuple[int, int] | None:
    """The longest stretch of [start, end) holding no link, trimmed of white space.

    A long-sentence highlight must not run through a link, so a sentence with a link
    in the middle is highlighted on its longer side.
    """
    pieces: list[tuple[int, int]] = []
    cursor = start
    for p_start, p_end in protected:
        if p_end <= start or p_start >= end:
            continue
        pieces.append((cursor, max(cursor, p_start)))
        cursor = max(cursor, p_end)
    pieces.append((cursor, end))
    best: tuple[int, int] | None = None
    for s, e in pieces:
        chunk = masked[s:e]
        stripped = chunk.strip()
        if not stripped:
            continue
        lead = len(chunk) - len(chunk.lstrip())
        candidate = (s + lead, s + lead + len(stripped))
        if best is None or candidate[1] - candidate[0] > best[1] - best[0]:
            best = candidate
    return best


def snap_to_graphemes(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen [start, end) to whole grapheme clusters, looking only near the edges."""
    if not _plain_boundary(text, start):
        start = _cluster_start(text, start)
    if not _plain_boundary(text, end):
        end = _cluster_end(text, end)
    return start, end


def _plain_boundary(text: str, position: int) -> bool:
    """True when a cluster boundary at ``position`` is certain from its two neighbours.

    Conservative: anything that might join (marks, format characters such as ZWJ,
    skin tones, regional indicators, Hangul jamo, prepended signs, CR LF) goes to the
    full grapheme rules instead.
    """
    if position <= 0 or position >= len(text):
        return True
    before, after = text[position - 1], text[position]
    if ord(before) < 0x300 and ord(after) < 0x300:
        return (before, after) != ("\r", "\n")
    if unicodedata.category(after)[0] in "MC" or unicodedata.category(before) in ("Cf", "Cc"):
        return False
    return not (_JOINING_RANGES.match(after) or _JOINING_RANGES.match(before))


# Emoji modifiers, regional indicators, Hangul jamo and the Arabic prepended signs.
_JOINING_RANGES = re.compile(
    "[\U0001f3fb-\U0001f3ff\U0001f1e6-\U0001f1ff\u1100-\u11ff\ua960-\ua97f"
    "\ud7b0-\ud7ff\u0600-\u0605\u06dd\u070f\u0890\u0891\u08e2\u0d4e]"
)


def _window_start(text: str, position: int) -> int:
    # A cluster never spans white space, so clusters can be found again from there.
    floor = max(0, position - 64)
    at = position
    while at > floor and not text[at - 1].isspace():
        at -= 1
    return at


def _cluster_start(text: str, position: int) -> int:
    if position <= 0 or position >= len(text):
        return max(0, min(position, len(text)))
    at = _window_start(text, position)
    for match in _GRAPHEME.finditer(text, at, min(len(text), position + 64)):
        if match.end() > position:
            return int(match.start())
    return position


def _cluster_end(text: str, position: int) -> int:
    if position <= 0 or position >= len(text):
        return max(0, min(position, len(text)))
    at = _window_start(text, position)
    for match in _GRAPHEME.finditer(text, at, min(len(text), position + 64)):
        if match.end() >= position:
            return int(match.end())
    return position


_Trie = dict[str, "_Trie"]


def trie_pattern(phrases: Iterable[str]) -> str:
    """One regex alternation shaped as a trie: fast on lists of hundreds of phrases.

    A space inside a phrase matches any run of white space.
    """
    root: _Trie = {}
    for phrase in phrases:
        node = root
        for ch in phrase:
            node = node.setdefault(ch, {})
        node[""] = {}
    return _trie_to_regex(root)


def _trie_to_regex(node: _Trie) -> str:
    optional = "" in node
    branches = []
    for ch in sorted(k for k in node if k):
        atom = r"\s+" if ch == " " else re.escape(ch)
        branches.append(atom + _trie_to_regex(node[ch]))
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if optional:
        return "(?:" + body + ")?"
    return body
