"""Term lists and the matcher that finds them in English, Arabic and Chinese text.

Terms are matched on the search form of a text (normalised, case-folded, Arabic
unified, Chinese segmented), so "URGENT", "urgent" and "ｕｒｇｅｎｔ" are the same, as are
"إسعاف" and "اسعاف". English and Arabic terms match whole words or phrases; Arabic words
also match behind the clitics written joined to them (و، ف، ب، ل، ك، ال: "والإسعاف" holds
"اسعاف"). Chinese has no spaces, so Chinese terms match anywhere in the text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from townsquare.nlp.normalise import normalise, normalise_arabic

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")
_ARABIC_CLITICS = ("وال", "بال", "فال", "كال", "لل", "ال", "و", "ف", "ب", "ل", "ك")


def term_form(term: str) -> str:
    """A term as it is matched: the same normalisation as the text it is looked for in."""
    return " ".join(_WORD.findall(normalise_arabic(normalise(term).casefold())))


@dataclass(frozen=True)
class Analysed:
    """A text prepared once for every term list that is looked up in it."""

    words: frozenset[str]  # each word, and Arabic words without their clitics
    joined: str  # " word word word " for phrase lookups
    compact: str  # without spaces, for Chinese terms


def analyse(search_form: str) -> Analysed:
    tokens = _WORD.findall(search_form)
    words = set(tokens)
    for token in tokens:
        if not "\u0620" <= token[0] <= "\u064a":  # clitics are Arabic letters
            continue
        for clitic in _ARABIC_CLITICS:
            if token.startswith(clitic) and len(token) - len(clitic) >= 2:
                words.add(token[len(clitic) :])
    return Analysed(
        words=frozenset(words),
        joined=" " + " ".join(tokens) + " ",
        compact="".join(tokens),
    )


class TermList:
    """Terms in any of the three languages; ``find`` returns the ones present."""

    def __init__(self, terms: Iterable[str]) -> None:
        self.single: set[str] = set()
        # Phrases by their first word: most texts contain none of the first words,
        # so most phrases are never compared.
        self.phrases: dict[str, set[str]] = {}
        self.han: set[str] = set()
        for term in terms:
            key = self.key(term)
            if not key:
                continue
            if _HAN.search(key):
                self.han.add(key)
            elif " " in key:
                self.phrases.setdefault(key.split(" ", 1)[0], set()).add(key)
            else:
                self.single.add(key)

    @staticmethod
    def key(term: str) -> str:
        """The form ``find`` reports a term in ("" for a term with no words)."""
        form = term_form(term)
        return form.replace(" ", "") if _HAN.search(form) else form

    def __len__(self) -> int:
        return len(self.single) + sum(map(len, self.phrases.values())) + len(self.han)

    def find(self, text: Analysed) -> list[str]:
        found = self.single & text.words
        for first in self.phrases.keys() & text.words:
            found.update(p for p in self.phrases[first] if f" {p} " in text.joined)
        if self.han and _HAN.search(text.compact):
            found.update(t for t in self.han if t in text.compact)
        return sorted(found)


class TermIndex:
    """Several named term lists (flags, topics) looked up in one pass."""

    def __init__(self, named: Mapping[str, Iterable[str]]) -> None:
        self.names = list(named)
        self._owners: dict[str, list[str]] = {}
        for name, terms in named.items():
            for term in terms:
                key = TermList.key(term)
                if key and name not in self._owners.get(key, []):
                    self._owners.setdefault(key, []).append(name)
        self._terms = TermList(self._owners)

    def find(self, text: Analysed) -> dict[str, list[str]]:
        """{name: terms found} for the names with at least one term in the text."""
        found: dict[str, list[str]] = {}
        for key in self._terms.find(text):
            for name in self._owners[key]:
                found.setdefault(name, []).append(key)
        return found


def term_index(lists: Mapping[str, Mapping[str, Iterable[str]]]) -> TermIndex:
    """{name: {language: terms}} -> one index over every name and language."""
    return TermIndex(
        {
            name: [t for terms in by_language.values() for t in terms]
            for name, by_language in lists.items()
        }
    )


# Urgency: danger to people or property now, in the words citizens use to report it.
URGENCY = {
    "en": [
        "emergency",
        "urgent",
        "urgently",
        "asap",
        "immediately",
        "help us",
        "help me",
        "sos",
        "danger",
        "dangerous",
        "fire",
        "on fire",
        "flood",
        "flooding",
        "flooded",
        "trapped",
        "stuck inside",
        "injured",
        "injuries",
        "ambulance",
        "collapsed",
        "collapse",
        "explosion",
        "gas leak",
        "bleeding",
        "unconscious",
        "not breathing",
        "dying",
        "missing child",
        "accident",
        "evacuate",
        "evacuation",
        "live wire",
        "downed power line",
        "sinkhole",
        "overdose",
    ],
    "ar": [
        "طوارئ",
        "طارئ",
        "عاجل",
        "عاجلا",
        "فورا",
        "حالا",
        "النجدة",
        "نجدة",
        "ساعدونا",
        "ساعدوني",
        "انقذونا",
        "خطر",
        "خطير",
        "حريق",
        "نار",
        "فيضان",
        "فيضانات",
        "سيول",
        "غرق",
        "غريق",
        "محاصر",
        "محاصرين",
        "عالقين",
        "مصاب",
        "مصابين",
        "اصابات",
        "إسعاف",
        "انهيار",
        "انهار",
        "انفجار",
        "تسرب غاز",
        "تسرب الغاز",
        "نزيف",
        "فاقد الوعي",
        "حادث",
        "حادث سير",
        "إخلاء",
        "طفل مفقود",
        "سلك كهرباء مكشوف",
    ],
    "zh": [
        "紧急",
        "急救",
        "救命",
        "求救",
        "危险",
        "火灾",
        "着火",
        "起火",
        "失火",
        "洪水",
        "水淹",
        "被困",
        "困住",
        "受伤",
        "伤员",
        "救护车",
        "倒塌",
        "坍塌",
        "爆炸",
        "煤气泄漏",
        "燃气泄漏",
        "流血",
        "昏迷",
        "车祸",
        "事故",
        "疏散",
        "孩子走失",
        "电线裸露",
    ],
}

# Abuse: insults and threats aimed at people. Profanity alone in a complaint is common
# and not abuse of staff, so only the stronger words are listed.
ABUSE = {
    "en": [
        "idiot",
        "idiots",
        "moron",
        "morons",
        "scum",
        "bastard",
        "bastards",
        "bitch",
        "asshole",
        "assholes",
        "dickhead",
        "retard",
        "retarded",
        "fuck you",
        "fuck off",
        "piece of shit",
        "go to hell",
        "kill you",
        "i will kill",
        "burn you",
        "worthless pigs",
        "you pigs",
        "shut up",
    ],
    "ar": [
        "حمار",
        "حمير",
        "غبي",
        "اغبياء",
        "يا كلب",
        "كلاب",
        "حقير",
        "حقيرة",
        "تافه",
        "تافهين",
        "وسخ",
        "وسخين",
        "خنزير",
        "خنازير",
        "يلعن",
        "الله يلعنك",
        "لعنة الله",
        "زبالة",
        "يا حيوان",
        "حيوانات",
        "منحط",
        "سافل",
        "سفلة",
        "اقتلك",
        "راح اقتلك",
        "انقلع",
    ],
    "zh": [
        "傻逼",
        "傻b",
        "煞笔",
        "沙比",
        "混蛋",
        "王八蛋",
        "去死",
        "白痴",
        "蠢货",
        "脑残",
        "他妈的",
        "操你",
        "狗官",
        "废物",
        "滚蛋",
        "杀了你",
        "畜生",
    ],
}

# Spam: offers, follower selling and contact bait.
SPAM = {
    "en": [
        "click here",
        "click the link",
        "free money",
        "buy followers",
        "get followers",
        "earn money",
        "make money fast",
        "work from home",
        "crypto",
        "bitcoin",
        "investment opportunity",
        "giveaway",
        "dm me",
        "limited offer",
        "100% free",
        "claim your prize",
        "you have won",
        "whatsapp me",
        "promo code",
        "forex",
    ],
    "ar": [
        "اربح",
        "ربح سريع",
        "اضغط هنا",
        "اضغط على الرابط",
        "زيادة متابعين",
        "متابعين",
        "عرض خاص",
        "عرض محدود",
        "للتواصل واتساب",
        "واتساب",
        "تواصل خاص",
        "مجانا",
        "فرصة استثمار",
        "بيتكوين",
        "عملات رقمية",
        "سحب على",
        "ربحت",
    ],
    "zh": [
        "加微信",
        "加v",
        "加我微信",
        "代开发票",
        "兼职",
        "日赚",
        "月入",
        "刷单",
        "免费领取",
        "点击链接",
        "优惠券",
        "私聊",
        "中奖",
        "投资理财",
        "比特币",
        "粉丝增长",
        "代刷",
    ],
}
