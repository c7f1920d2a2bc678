"""The boolean query language of saved listening queries (pure Python, no Django).

Grammar (operators are the upper-case English words AND, OR, NOT, in every language,
so that "not" or "or" typed as ordinary words stay words; juxtaposition is an
implicit AND; a leading "-" is NOT)::

    query    := or_expr
    or_expr  := and_expr ( "OR" and_expr )*
    and_expr := unary ( ["AND"] unary )*
    unary    := "NOT" unary | "-" atom | atom
    atom     := "(" or_expr ")" | '"phrase"' | #hashtag | @account | term

Terms and phrases are matched against the text's search form
(``townsquare.nlp.normalise.search_text``: case-folded, Arabic spelling unified,
Chinese segmented), so "محطة" finds "مَحطّة" and "公交" finds "公交车又晚点". Hashtags and
accounts are matched against what enrichment extracted, so "#bus" does not match the
word "bus" and "@metro" does not match an email address.

Every problem is reported as a ``QueryError`` with the character position of the
offending part, so a form can point at it; nothing else is ever raised.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from typing import Final

import regex

from townsquare.nlp.normalise import normalise, normalise_arabic, search_text

MAX_QUERY_LENGTH: Final = 1000
MAX_DEPTH: Final = 12  # nested parentheses and NOTs
MAX_ATOMS: Final = 100

_OPERATORS: Final = {"AND": "AND", "OR": "OR", "NOT": "NOT"}
# Words as the segmenter sees them (nlp.segment): letters, marks and digits with inner
# apostrophes or hyphens; punctuation around a word is not part of it.
_WORD: Final = regex.compile(r"[\p{L}\p{M}\p{N}]+(?:['’\-][\p{L}\p{M}\p{N}]+)*")
_HAN_RANGES: Final = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x3134F))


class QueryError(ValueError):
    """A query that cannot be used; ``position`` is a 0-based character offset."""

    def __init__(self, code: str, message: str, position: int = 0) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.position = position


class Kind(Enum):
    WORD = "word"
    PHRASE = "phrase"
    HASHTAG = "hashtag"
    ACCOUNT = "account"
    AND = "and"
    OR = "or"
    NOT = "not"
    LPAREN = "("
    RPAREN = ")"


@dataclass(frozen=True)
class Token:
    kind: Kind
    value: str
    position: int


# --- AST -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """A word or a "phrase": a sequence of search-form words."""

    text: str  # search form, words separated by single spaces (or symbols, see below)
    phrase: bool = False
    symbols: bool = False  # no letters (emoji…): matched as a substring


@dataclass(frozen=True)
class Hashtag:
    tag: str  # case-folded, without '#'


@dataclass(frozen=True)
class Account:
    handle: str  # case-folded, without '@'


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class And:
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    operands: tuple[Node, ...]


Node = Term | Hashtag | Account | Not | And | Or


@dataclass(frozen=True)
class Document:
    """What a query is matched against: one enriched text."""

    search_text: str
    hashtags: frozenset[str] = frozenset()
    mentions: frozenset[str] = frozenset()
    author: str = ""  # case-folded handle, without '@'
    _padded: str = field(default="", repr=False)

    @property
    def padded(self) -> str:
        return self._padded or _padded_words(self.search_text)


def _padded_words(text: str) -> str:
    return " " + " ".join(_WORD.findall(text)) + " "


def document(
    text_search_form: str,
    *,
    hashtags: Iterable[str] = (),
    mentions: Iterable[str] = (),
    author: str = "",
) -> Document:
    return Document(
        search_text=text_search_form,
        hashtags=frozenset(normalise_arabic(h.casefold()) for h in hashtags),
        mentions=frozenset(m.casefold() for m in mentions),
        author=author.casefold().lstrip("@"),
        _padded=_padded_words(text_search_form),
    )


# --- tokenizer -------------------------------------------------------------------------


def _is_han(ch: str) -> bool:
    code = ord(ch)
    return any(lo <= code <= hi for lo, hi in _HAN_RANGES)


def _word_end(text: str, start: int) -> int:
    end = start
    while end < len(text) and not text[end].isspace() and text[end] not in '()"':
        end += 1
    return end


def tokenize(text: str) -> Iterator[Token]:  # noqa: PLR0912 - one branch per token kind
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch == "(":
            yield Token(Kind.LPAREN, ch, i)
            i += 1
        elif ch == ")":
            yield Token(Kind.RPAREN, ch, i)
            i += 1
        elif ch in "\"“”":
            close = -1
            for j in range(i + 1, len(text)):
                if text[j] in "\"“”":
                    close = j
                    break
            if close < 0:
                raise QueryError("unclosed_quote", "This quotation mark is never closed.", i)
            yield Token(Kind.PHRASE, text[i + 1 : close], i)
            i = close + 1
        else:
            end = _word_end(text, i)
            word = text[i:end]
            upper = _OPERATORS.get(word)
            if upper == "AND":
                yield Token(Kind.AND, word, i)
            elif upper == "OR":
                yield Token(Kind.OR, word, i)
            elif upper == "NOT":
                yield Token(Kind.NOT, word, i)
            elif word in ("-", "−") or (word[0] in "-−" and len(word) > 1):
                yield Token(Kind.NOT, "-", i)
                if len(word) > 1:
                    yield _word_token(word[1:], i + 1)
            else:
                yield _word_token(word, i)
            i = end


def _word_token(word: str, position: int) -> Token:
    if word[0] in "#＃":
        return Token(Kind.HASHTAG, word[1:], position)
    if word[0] in "@＠":
        return Token(Kind.ACCOUNT, word[1:], position)
    return Token(Kind.WORD, word, position)


# --- parser ----------------------------------------------------------------------------


class _Parser:
    def __init__(self, tokens: list[Token], length: int) -> None:
        self.tokens = tokens
        self.length = length
        self.index = 0
        self.atoms = 0

    def peek(self) -> Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def parse(self) -> Node:
        node = self.or_expr(0)
        token = self.peek()
        if token is not None:  # only a stray ")" can stop or_expr early
            raise QueryError(
                "unbalanced_parenthesis", "This closing parenthesis has no opening one.",
                token.position,
            )
        return node

    def or_expr(self, depth: int) -> Node:
        operands = [self.and_expr(depth)]
        while (token := self.peek()) is not None and token.kind is Kind.OR:
            self.take()
            operands.append(self.and_expr(depth, after=token))
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def and_expr(self, depth: int, after: Token | None = None) -> Node:
        operands = [self.unary(depth, after)]
        while (token := self.peek()) is not None and token.kind not in (Kind.OR, Kind.RPAREN):
            if token.kind is Kind.AND:
                self.take()
                operands.append(self.unary(depth, token))
            else:
                operands.append(self.unary(depth, None))
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def unary(self, depth: int, after: Token | None) -> Node:
        if depth > MAX_DEPTH:
            position = self.tokens[min(self.index, len(self.tokens) - 1)].position
            raise QueryError(
                "too_deep", "This query is nested too deeply; simplify it.", position
            )
        token = self.peek()
        if token is None:
            if after is not None:
                raise QueryError(
                    "dangling_operator", "Something must follow this operator.", after.position
                )
            raise QueryError("empty", "The query is empty.", self.length)
        if token.kind is Kind.NOT:
            self.take()
            return Not(self.unary(depth + 1, token))
        return self.atom(depth, after)

    def atom(self, depth: int, after: Token | None) -> Node:
        token = self.take()
        self.atoms += 1
        if self.atoms > MAX_ATOMS:
            raise QueryError(
                "too_long", f"A query may have at most {MAX_ATOMS} terms.", token.position
            )
        if token.kind is Kind.LPAREN:
            if (nxt := self.peek()) is not None and nxt.kind is Kind.RPAREN:
                raise QueryError("empty_group", "These parentheses are empty.", token.position)
            node = self.or_expr(depth + 1)
            close = self.peek()
            if close is None or close.kind is not Kind.RPAREN:
                raise QueryError(
                    "unbalanced_parenthesis", "This parenthesis is never closed.", token.position
                )
            self.take()
            return node
        if token.kind in (Kind.AND, Kind.OR, Kind.RPAREN):
            if token.kind is Kind.RPAREN and after is None:
                raise QueryError(
                    "unbalanced_parenthesis",
                    "This closing parenthesis has no opening one.",
                    token.position,
                )
            culprit = after if after is not None and token.kind is Kind.RPAREN else token
            raise QueryError(
                "dangling_operator",
                f"“{culprit.value}” needs a term on each side.",
                culprit.position,
            )
        return _leaf(token)


def _leaf(token: Token) -> Node:
    if token.kind is Kind.HASHTAG:
        tag = normalise(token.value).casefold()
        if not tag:
            raise QueryError("empty_hashtag", "A hashtag needs a name after “#”.", token.position)
        return Hashtag(normalise_arabic(tag))
    if token.kind is Kind.ACCOUNT:
        handle = normalise(token.value).casefold()
        if not handle:
            raise QueryError("empty_account", "An account needs a name after “@”.", token.position)
        return Account(handle)
    form = search_text(token.value)
    words = " ".join(_WORD.findall(form))
    if not words:
        if not form:
            if token.kind is Kind.PHRASE:
                raise QueryError("empty_phrase", "This quoted phrase is empty.", token.position)
            raise QueryError("no_letters", "This term has nothing to search for.", token.position)
        return Term(form, phrase=token.kind is Kind.PHRASE, symbols=True)
    return Term(words, phrase=token.kind is Kind.PHRASE or " " in words)


def parse(text: object) -> Node:
    """The AST of a query, or ``QueryError`` with a position."""
    if not isinstance(text, str):
        raise QueryError("not_text", "The query must be text.")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise QueryError(
            "invalid_text", "The query contains invalid characters.", exc.start
        ) from None
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryError(
            "too_long",
            f"A query may be at most {MAX_QUERY_LENGTH} characters long.",
            MAX_QUERY_LENGTH,
        )
    if not text.strip():
        raise QueryError("empty", "The query is empty.")
    tokens = list(tokenize(text))
    if not tokens:
        raise QueryError("empty", "The query is empty.")
    node = _Parser(tokens, len(text)).parse()
    if not _has_positive(node):
        raise QueryError(
            "only_negative",
            "A query needs at least one term to look for, not only terms to exclude.",
        )
    return node


def _has_positive(node: Node) -> bool:
    if isinstance(node, Not):
        return False
    if isinstance(node, And):
        return any(_has_positive(o) for o in node.operands)
    if isinstance(node, Or):
        return all(_has_positive(o) for o in node.operands)
    return True


# --- matching --------------------------------------------------------------------------


def _term_matches(term: Term, doc: Document) -> bool:
    # Whole words (search forms are space separated), except inside Han text, where a
    # segmenter may have cut differently than the writer thought: there, substring.
    # Emoji and symbols are not separated by spaces in the search form ("😤😤"): substring.
    if term.symbols:
        return term.text in doc.search_text
    if any(_is_han(ch) for ch in term.text):
        return term.text.replace(" ", "") in doc.padded.replace(" ", "")
    return f" {term.text} " in doc.padded


def matches(node: Node, doc: Document) -> bool:
    if isinstance(node, Term):
        return _term_matches(node, doc)
    if isinstance(node, Hashtag):
        return node.tag in doc.hashtags
    if isinstance(node, Account):
        return node.handle in doc.mentions or node.handle == doc.author
    if isinstance(node, Not):
        return not matches(node.operand, doc)
    if isinstance(node, And):
        return all(matches(o, doc) for o in node.operands)
    return any(matches(o, doc) for o in node.operands)


def positive_terms(node: Node) -> list[str]:
    """What to send to a network's keyword search: the terms the query looks for, in
    order, without operators (networks disagree on boolean syntax; we filter locally)."""
    found: list[str] = []

    def walk(n: Node) -> None:
        if isinstance(n, Term):
            found.append(f'"{n.text}"' if n.phrase else n.text)
        elif isinstance(n, Hashtag):
            found.append(f"#{n.tag}")
        elif isinstance(n, Account):
            found.append(f"@{n.handle}")
        elif isinstance(n, And | Or):
            for operand in n.operands:
                walk(operand)

    walk(node)
    return list(dict.fromkeys(found))


def render(node: Node) -> str:
    """A canonical text of the AST (used by tests and to show how a query was read)."""
    if isinstance(node, Term):
        return f'"{node.text}"' if node.phrase else node.text
    if isinstance(node, Hashtag):
        return f"#{node.tag}"
    if isinstance(node, Account):
        return f"@{node.handle}"
    if isinstance(node, Not):
        return f"NOT {render(node.operand)}"
    joiner = " AND " if isinstance(node, And) else " OR "
    return "(" + joiner.join(render(o) for o in node.operands) + ")"
