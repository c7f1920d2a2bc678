"""Keywords, hashtags, mentions and links of a text.

Keywords are the most frequent content words of the text itself (function words in
the three languages removed), first occurrence breaking ties: for a short post that is
what a reader would pick, and it needs no corpus statistics at run time.
"""

from __future__ import annotations

import re

from townsquare.nlp.normalise import normalise_arabic

URL = re.compile(r"(?:https?://|www\.)[^\s<>\"'）】」]+", re.IGNORECASE)
# Hashtags may be in any script and use underscores ("#أربعة_زائد_واحد").
HASHTAG = re.compile(r"(?<![\w&#])[#＃]([^\W\d][\w]*|\d+[^\W\d][\w]*)")
# @name on X/Instagram, @name@instance.social on Mastodon and the fediverse.
MENTION = re.compile(r"(?<![\w@/])@([A-Za-z0-9_][\w.]*(?:@[\w-]+(?:\.[\w-]+)+)?)")
_LINK_OR_MENTION = re.compile(r"@|://|www\.", re.IGNORECASE)
_TRAILING = ".,;:!?)]}>'\"…،؛؟。，！？"
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
MAX_KEYWORDS = 10

_STOPWORDS = """
    a about above after again against all am an and any are aren't as at be because been
    before being below between both but by can can't could did didn't do does doesn't doing
    don't down during each few for from further get got had hadn't has hasn't have haven't
    having he her here hers herself him himself his how i i'm if in into is isn't it it's its
    itself just let's like me more most my myself no nor not now of off on once only or
    other our ours ourselves out over own same she should so some such than that that's the
    their theirs them themselves then there there's these they this those through to too
    under until up very was wasn't we we're were what when where which while who whom why
    will with won't would you you're your yours yourself yourselves also still yet one two
    rt amp via please thanks thank hi hello today yes ok okay im dont cant u ur
    في من على إلى الى عن مع هذا هذه ذلك تلك التي الذي الذين هو هي هم هن انا أنا نحن انت أنت
    انتم أنتم كان كانت يكون تكون ما ماذا لماذا متى كيف أين اين هل لا لم لن قد كل بعض غير بين
    عند عندما حتى او أو ثم لكن بل اذا إذا ان إن أن كما فقط ايضا أيضا يا و ف ب ل منذ بعد قبل
    هناك هنا الله شكرا لكم لنا لي لك له لها عليه عليها فيه فيها به بها منه منها
    الي اللي ده دي مش
    的 了 和 是 在 我 有 也 就 不 人 都 一 一个 上 很 到 说 要 去 你 会 着 没有 看 好 自己 这 那
    他 她 它 我们 你们 他们 吗 吧 啊 呢 还 就是 但是 而且 因为 所以 如果 这个 那个 什么 怎么
    可以 没 被 把 让 给 对 从 与 及 或 等 之 其 为 以 而 于 请问 谢谢
    """
# Stored in search form, so "متى" in the list also removes "متي" in the text.
STOPWORDS = frozenset(normalise_arabic(word) for word in _STOPWORDS.split())


def _trim(value: str) -> str:
    return value.rstrip(_TRAILING)


def urls(text: str) -> list[str]:
    return list(dict.fromkeys(_trim(m) for m in URL.findall(text)))


def hashtags(text: str) -> list[str]:
    """Hashtags without '#', case-folded (one tag, however it is capitalised)."""
    return list(dict.fromkeys(tag.casefold() for tag in HASHTAG.findall(URL.sub(" ", text))))


def mentions(text: str) -> list[str]:
    """Accounts mentioned, without the leading '@', case-folded."""
    found = MENTION.findall(URL.sub(" ", text))
    return list(dict.fromkeys(_trim(m).casefold() for m in found))


def keywords(search_form: str, *, limit: int = MAX_KEYWORDS) -> list[str]:
    """Content words of a search-form text (see ``normalise.search_text``)."""
    if _LINK_OR_MENTION.search(search_form):  # most posts have neither: skip two passes
        search_form = MENTION.sub(" ", URL.sub(" ", search_form))
    counts: dict[str, int] = {}
    for word in _WORD.findall(search_form):
        if word in STOPWORDS or word.isdigit():
            continue
        # One Han character is rarely a keyword; two or more Latin/Arabic letters may be.
        if len(word) < (2 if _HAN.match(word) else 3):
            continue
        counts[word] = counts.get(word, 0) + 1
    # sorted() is stable: equal counts keep the order of first occurrence.
    return sorted(counts, key=counts.__getitem__, reverse=True)[:limit]
