"""How Mastodon counts a post's length, and how its HTML content becomes plain text."""

from __future__ import annotations

import re
from html.parser import HTMLParser

URL_LENGTH = 23
DEFAULT_MAX_CHARACTERS = 500

# Mastodon counts every http(s) link as 23 characters whatever its length, and a remote
# mention "@user@domain" as "@user" only (StatusLengthValidator).
_URL = re.compile(r"https?://[^\s<>\"'\u3000\u3001\u3002\uff0c]+", re.IGNORECASE)
_MENTION = re.compile(r"(?<![\w/@])@(\w+(?:[.-]\w+)*)@[\w-]+(?:\.[\w-]+)+", re.UNICODE)


def mastodon_length(text: str, *, url_length: int = URL_LENGTH) -> int:
    """Length as Mastodon counts it, in code points.

    Mastodon's server counts grapheme clusters; a code point is never fewer, so a text
    that fits by this count always fits on the server (the check errs on the safe side
    for emoji ZWJ sequences and combining marks).
    """
    countable = _URL.sub("x" * url_length, text)
    countable = _MENTION.sub(lambda match: "@" + match.group(1), countable)
    return len(countable)


class _TextExtractor(HTMLParser):
    """Mastodon status content: <p> paragraphs, <br> line breaks, links and mentions."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._paragraphs = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag == "p":
            if self._paragraphs:
                self.parts.append("\n\n")
            self._paragraphs += 1

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(content: str) -> str:
    """The plain text of a status' HTML content, characters kept exactly as sent."""
    if "<" not in content and "&" not in content:
        return content
    parser = _TextExtractor()
    parser.feed(content)
    parser.close()
    return "".join(parser.parts)
