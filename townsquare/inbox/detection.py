"""Emergencies, abuse and spam, recognised by keyword lists in English, Arabic and Chinese.

Rules first (this module); the NLP app's classifiers can replace ``detect_flags`` later
without callers changing: they receive the same ``Flags``. Text is compared in the
analysis form (``nlp.normalise``): zero-width characters and direction controls that
are used to slip words past keyword lists are removed, case is folded, Arabic spelling
variants are unified. English matches whole words; Arabic and Chinese match substrings
(Arabic words take prefixes such as و/ال, and Chinese has no spaces).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from townsquare.nlp.normalise import normalise, normalise_arabic

EMERGENCY = {
    "en": [
        "emergency", "ambulance", "fire", "on fire", "heart attack", "not breathing",
        "unconscious", "bleeding", "overdose", "suicide", "kill myself", "gas leak",
        "trapped", "drowning", "collapsed", "explosion", "live wire", "flooding into",
        "help us", "dying", "crash", "injured", "people hurt", "send help", "sparking",
        "cable down", "wire down", "breaking into", "break-in", "robbery", "gas smell",
        "smell of gas", "smell gas", "crack in the ceiling", "collapse", "collapsing",
        "fainted", "passed out", "sleeping outside", "still inside",
    ],
    "ar": [
        "طوارئ", "اسعاف", "حريق", "نوبة قلبية", "لا يتنفس", "فاقد الوعي", "نزيف",
        "جرعة زائدة", "انتحار", "تسرب غاز", "تسرب الغاز", "محاصر", "غرق", "انفجار",
        "سلك كهرباء مكشوف", "يموت", "النجدة", "حادث خطير", "مصاب", "مصابون", "ارسلوا المساعدة",
        "شرارات", "كابل كهرباء ساقط", "يقتحم", "سطو", "رائحة غاز", "شرخ كبير", "انهيار",
        "اغمي عليه", "ينام في العراء",
    ],
    "zh": [
        "紧急", "救护车", "着火", "火灾", "心脏病", "没有呼吸", "昏迷", "流血", "大出血",
        "服药过量", "自杀", "煤气泄漏", "燃气泄漏", "被困", "溺水", "爆炸", "电线裸露",
        "快死", "救命", "车祸", "受伤", "快派人", "冒火花", "电缆掉", "撬", "抢劫", "煤气味",
        "天花板裂", "倒塌", "晕倒", "睡在外面", "急救",
    ],
}
ABUSE = {
    "en": [
        "idiot", "idiots", "stupid", "moron", "morons", "scum", "bastard", "bastards",
        "i will hurt you", "i will find you", "you will pay", "shut up",
    ],
    "ar": ["غبي", "اغبياء", "حمار", "حقير", "حقيرون", "كلب", "سافل", "سوف اؤذيك", "ستدفعون الثمن"],
    "zh": ["白痴", "笨蛋", "蠢货", "混蛋", "废物", "去死", "滚蛋", "你们等着"],
}
SPAM = {
    "en": [
        "click here", "free money", "crypto", "bitcoin", "earn $", "work from home",
        "limited offer", "giveaway", "dm me for", "follow back", "investment opportunity",
        "casino", "promo code", "dm me now", "i follow everyone",
    ],
    "ar": ["اربح", "ربح سريع", "عرض محدود", "اضغط هنا", "عملات رقمية", "بيتكوين", "كازينو",
           "تابعني وسأتابعك", "راسلني الآن"],
    "zh": ["免费领取", "点击链接", "加微信", "赚钱", "比特币", "投资机会", "优惠码", "博彩",
           "互粉", "回关", "涨粉", "月入"],
}


@dataclass(frozen=True)
class Flags:
    emergency: bool = False
    abuse: bool = False
    spam: bool = False


def comparable(text: str) -> str:
    """The form both keywords and messages are compared in."""
    return normalise_arabic(normalise(text).casefold())


def _bounded(word: str) -> str:
    """Whole words: a boundary on each side that ends in a letter or digit ("earn $"
    must still match "earn $5000")."""
    key = comparable(word)
    start = r"(?<!\w)" if key[:1].isalnum() else ""
    end = r"(?!\w)" if key[-1:].isalnum() else ""
    return start + re.escape(key) + end


@cache
def _pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(_bounded(w) for w in words if comparable(w)))


def keyword_match(comparable_text: str, *, en: list[str], ar: list[str], zh: list[str]) -> str:
    """The first keyword found in ``comparable_text`` (already ``comparable``), or ""."""
    if en:
        found = _pattern(tuple(en)).search(comparable_text)
        if found:
            return found.group()
    for word in (*ar, *zh):
        key = comparable(word)
        if key and key in comparable_text:
            return word
    return ""


def _matches(text: str, lists: dict[str, list[str]]) -> bool:
    return bool(keyword_match(text, en=lists["en"], ar=lists["ar"], zh=lists["zh"]))


def detect_flags(text: str) -> Flags:
    key = comparable(text)
    return Flags(
        emergency=_matches(key, EMERGENCY),
        abuse=_matches(key, ABUSE),
        spam=_matches(key, SPAM),
    )


def split_keywords(value: str) -> list[str]:
    """Keywords as staff type them: one per line or separated by commas (any script)."""
    parts = re.split(r"[\n,،，;；]+", value or "")
    return [p.strip() for p in parts if p.strip()]
