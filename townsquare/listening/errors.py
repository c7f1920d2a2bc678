"""Query errors in the reader's language (the parser itself is Django-free, in English)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from townsquare.listening.query import MAX_ATOMS, MAX_QUERY_LENGTH, QueryError


def query_error_message(error: QueryError, text: str = "") -> str:
    """The problem and where it is: "at character 7 (near “OR”)"."""
    messages = {
        "not_text": _("The query must be text."),
        "invalid_text": _("The query contains characters that are not valid text."),
        "too_long": _("A query may be at most %(length)s characters and %(terms)s terms long.")
        % {"length": MAX_QUERY_LENGTH, "terms": MAX_ATOMS},
        "empty": _("Enter a query: at least one word, phrase, hashtag or account."),
        "unclosed_quote": _("A quotation mark is never closed."),
        "unbalanced_parenthesis": _("Parentheses do not pair up."),
        "dangling_operator": _("AND, OR and NOT need a term on each side."),
        "too_deep": _("The query is nested too deeply; simplify it."),
        "empty_group": _("A pair of parentheses is empty."),
        "empty_phrase": _("A quoted phrase is empty."),
        "empty_hashtag": _("A hashtag needs a name after “#”."),
        "empty_account": _("An account needs a name after “@”."),
        "no_letters": _("A term has no letters or digits to search for."),
        "only_negative": _(
            "A query needs at least one term to look for, not only terms to exclude."
        ),
    }
    message = messages.get(error.code, _("The query cannot be read."))
    if error.code in {"empty", "only_negative", "too_long", "not_text"} or not text:
        return message
    near = text[error.position : error.position + 12].strip()
    if near:
        return _("%(problem)s At character %(position)s (near “%(near)s”).") % {
            "problem": message, "position": error.position + 1, "near": near,
        }
    return _("%(problem)s At character %(position)s.") % {
        "problem": message, "position": error.position + 1,
    }
