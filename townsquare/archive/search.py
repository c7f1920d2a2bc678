"""Full-text search of archived versions: query parsing, the two backends, highlighting.

Every version keeps ``search_text`` (townsquare.nlp.normalise.search_text of its content:
case-folded, Arabic unified, Chinese segmented into words). SQLite indexes it in the FTS5
table ``archive_version_fts`` (external content, kept in sync by the capture and
disposition services); PostgreSQL in a GIN index on ``to_tsvector('simple', search_text)``.

The query language is small on purpose: words (all required), "quoted phrases",
``OR`` between two of them, and ``-word`` to leave a word out. A query is parsed here into
normalised phrases; only those phrases, always inside FTS5 double quotes or as
parameters of ``phraseto_tsquery``, reach the database, so user input never becomes
FTS5 or tsquery syntax.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from townsquare.nlp.langid import identify
from townsquare.nlp.normalise import normalise_arabic, search_text

FTS_TABLE = "archive_version_fts"
MAX_QUERY_CHARS = 500
MAX_TERMS = 20
# Letters and digits of any script: what both indexes treat as word characters.
TOKEN = re.compile(r"[^\W_]+")
HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True)
class ParsedQuery:
    # All clauses are required; a clause matches when any of its phrases does.
    clauses: list[list[str]] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)

    @property
    def phrases(self) -> list[str]:
        return [phrase for clause in self.clauses for phrase in clause]


def text_for_search(text: str) -> str:
    """The indexed form of ``text`` (language-aware: Japanese is not segmented)."""
    return search_text(text, identify(text).language)


def _phrase(raw: str) -> str:
    tokens = TOKEN.findall(text_for_search(raw))
    if not tokens:
        raise ValidationError(
            _("“%(term)s” has no letters or digits to search for.") % {"term": raw[:50]},
            code="search_syntax",
        )
    return " ".join(tokens)


def _lex(query: str) -> list[tuple[str, str]]:
    """("term"|"phrase"|"or", text) items, with a leading "-" kept as kind "not-…"."""
    items: list[tuple[str, str]] = []
    i, n = 0, len(query)
    while i < n:
        char = query[i]
        if char.isspace():
            i += 1
            continue
        negated = char == "-"
        if negated:
            i += 1
            if i >= n or query[i].isspace():
                raise ValidationError(
                    _("A minus sign must be followed by the word to leave out, with no space."),
                    code="search_syntax")
        if query[i] == '"':
            end = query.find('"', i + 1)
            if end == -1:
                raise ValidationError(
                    _("A quotation mark is not closed. Put quotation marks around a phrase, "
                      "one at each end."), code="search_syntax")
            text = query[i + 1:end]
            if not text.strip():
                raise ValidationError(_("A pair of quotation marks has nothing between them."),
                                      code="search_syntax")
            items.append(("not-phrase" if negated else "phrase", text))
            i = end + 1
            continue
        end = i
        while end < n and not query[end].isspace() and query[end] != '"':
            end += 1
        word = query[i:end]
        if word == "OR" and not negated:
            items.append(("or", word))
        else:
            items.append(("not-term" if negated else "term", word))
        i = end
    return items


def parse_query(query: str) -> ParsedQuery:
    """The query as normalised phrases; a ValidationError with a clear message when bad."""
    query = unicodedata.normalize("NFC", str(query or "")).strip()
    if "\x00" in query:
        raise ValidationError(_("The search contains a NUL character."), code="search_syntax")
    if len(query) > MAX_QUERY_CHARS:
        raise ValidationError(_("The search is longer than %(max)d characters.")
                              % {"max": MAX_QUERY_CHARS}, code="search_syntax")
    items = _lex(query)
    if len(items) > MAX_TERMS:
        raise ValidationError(_("The search has more than %(max)d words or phrases.")
                              % {"max": MAX_TERMS}, code="search_syntax")
    parsed = ParsedQuery()
    joining = False
    for position, (kind, text) in enumerate(items):
        if kind == "or":
            follows = items[position + 1][0] if position + 1 < len(items) else ""
            if not parsed.clauses or joining or follows not in ("term", "phrase"):
                raise ValidationError(
                    _("OR must stand between two words or phrases, as in: flood OR storm."),
                    code="search_syntax")
            joining = True
        elif kind.startswith("not-"):
            if joining:
                raise ValidationError(
                    _("A left-out word (with a minus sign) cannot be part of OR."),
                    code="search_syntax")
            parsed.excluded.append(_phrase(text))
        else:
            phrase = _phrase(text)
            if joining:
                parsed.clauses[-1].append(phrase)
                joining = False
            else:
                parsed.clauses.append([phrase])
    if not parsed.clauses:
        raise ValidationError(_("Enter at least one word to search for."), code="search_syntax")
    return parsed


# --- the backends ------------------------------------------------------------------


def _fts5_string(phrase: str) -> str:
    # An FTS5 string: everything inside double quotes is text, never an operator.
    return '"' + phrase.replace('"', '""') + '"'


def fts5_expression(parsed: ParsedQuery) -> str:
    expression = " AND ".join(
        "(" + " OR ".join(_fts5_string(p) for p in clause) + ")" for clause in parsed.clauses
    )
    for phrase in parsed.excluded:
        expression = f"({expression}) NOT {_fts5_string(phrase)}"
    return expression


def tsquery_sql(parsed: ParsedQuery) -> tuple[str, list[str]]:
    params: list[str] = []
    parts = []
    for clause in parsed.clauses:
        parts.append("(" + " || ".join("phraseto_tsquery('simple', %s)" for _p in clause) + ")")
        params.extend(clause)
    for phrase in parsed.excluded:
        parts.append("!!phraseto_tsquery('simple', %s)")
        params.append(phrase)
    return " && ".join(parts), params


def match_versions(versions: QuerySet[Any], parsed: ParsedQuery) -> QuerySet[Any]:
    """``versions`` narrowed to those whose indexed text matches the query."""
    if connection.vendor == "sqlite":
        # The SQL is constant; the expression is a parameter of quoted phrases only.
        return versions.filter(pk__in=RawSQL(  # noqa: S611
            f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s",  # noqa: S608
            [fts5_expression(parsed)],
        ))
    if connection.vendor == "postgresql":
        sql, params = tsquery_sql(parsed)
        # The same expression as the GIN index, so PostgreSQL uses it.
        return versions.filter(RawSQL(  # noqa: S611 - user text only in params
            f"to_tsvector('simple', archive_recordversion.search_text) @@ ({sql})",
            params, output_field=BooleanField(),
        ))
    raise NotImplementedError("Full-text search needs SQLite or PostgreSQL")


def fts5_newest_ids(parsed: ParsedQuery, *, before: int | None, limit: int) -> list[int]:
    """Ids of matching versions, newest first, below ``before``: FTS5 walks its index in
    rowid order and stops at ``limit``, however many versions match."""
    sql = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"  # noqa: S608
    params: list[Any] = [fts5_expression(parsed)]
    if before is not None:
        sql += " AND rowid < %s"
        params.append(before)
    with connection.cursor() as cursor:
        cursor.execute(sql + " ORDER BY rowid DESC LIMIT %s", [*params, limit])
        return [row[0] for row in cursor.fetchall()]


def index_add(*, version_id: int, text: str) -> None:
    """Add a new version to the SQLite FTS5 index (PostgreSQL indexes the column itself).

    Every version is added, even with no text: FTS5 keeps a row size for each row of its
    content table, and its integrity check expects one.
    """
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (%s, %s)",  # noqa: S608
                           [version_id, text])


def index_clear(*, version_id: int, text: str) -> None:
    """Index a version as empty (its content was removed); ``text`` is what was indexed."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text) "  # noqa: S608
                "VALUES ('delete', %s, %s)", [version_id, text])
            cursor.execute(f"INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (%s, '')",  # noqa: S608
                           [version_id])


# --- highlighting ------------------------------------------------------------------


@functools.lru_cache(maxsize=8192)
def _fold(char: str) -> str:
    return normalise_arabic(unicodedata.normalize("NFKC", char).casefold())


def _normalised_with_offsets(text: str) -> tuple[str, list[int], list[bool]]:
    """``text`` normalised character by character, with each result character's source
    and which source characters vanish (diacritics, which belong to the letter before)."""
    if text.isascii():  # one character in, one out: the offsets are the identity
        return text.casefold(), list(range(len(text))), [False] * len(text)
    out: list[str] = []
    owners: list[int] = []
    vanished: list[bool] = []
    for index, char in enumerate(text):
        folded = _fold(char)
        out.append(folded)
        owners.extend([index] * len(folded))
        vanished.append(not folded)
    return "".join(out), owners, vanished


def _token_pattern(token: str) -> str:
    if HAN.search(token):
        return re.escape(token)  # Chinese has no spaces between words
    return r"(?<![^\W_])" + re.escape(token) + r"(?![^\W_])"


def highlight(text: str, parsed: ParsedQuery, *, width: int = 240) -> SafeString:
    """A piece of ``text`` around the first match, HTML-escaped, matches in <mark>."""
    normalised, owners, vanished = _normalised_with_offsets(text)
    tokens = {t for phrase in parsed.phrases for t in phrase.split(" ")}
    spans: list[tuple[int, int]] = []
    if tokens and normalised:
        pattern = re.compile("|".join(_token_pattern(t) for t in sorted(tokens, key=len,
                                                                           reverse=True)))
        for match in pattern.finditer(normalised):
            if match.end() > match.start():
                end = owners[match.end() - 1] + 1
                while end < len(text) and vanished[end]:
                    end += 1  # the last letter's diacritics are part of the word
                spans.append((owners[match.start()], end))
    first = spans[0][0] if spans else 0
    start = max(0, first - width // 3)
    end = min(len(text), start + width)
    pieces = ["…" if start else ""]
    cursor = start
    for span_start, span_end in spans:
        if span_start < cursor or span_start >= end:
            continue
        pieces.append(escape(text[cursor:span_start]))
        pieces.append("<mark>" + escape(text[span_start:min(span_end, end)]) + "</mark>")
        cursor = min(span_end, end)
    pieces.append(escape(text[cursor:end]))
    pieces.append("…" if end < len(text) else "")
    return mark_safe("".join(pieces))  # noqa: S308 - every piece of text is escaped above
