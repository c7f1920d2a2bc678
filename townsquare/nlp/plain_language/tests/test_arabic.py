"""Arabic measures: stock phrases and formal words with or without marks, sentence length."""

from __future__ import annotations

import pytest

from townsquare.nlp.plain_language import check

from .helpers import flagged, kinds


@pytest.mark.parametrize(
    "phrase",
    [
        "بناءً على ما تقدم",  # with tanween
        "بناء على ما تقدم",  # without
        "بِنَاءً عَلَى مَا تَقَدَّمَ",  # fully vocalised
        "بنـــاء على ما تقدم",  # stretched with tatweel
    ],
)
def test_stock_phrase_found_with_and_without_marks(phrase):
    text = f"{phrase} سنغلق الطريق."
    report = check(text, "ar")
    assert flagged(report, text, "stock_phrase") == [phrase]
    assert report.hints[0].params["suggestion"] == "لذلك"


@pytest.mark.parametrize("alef", ["إ", "أ", "ا", "آ"])
def test_alef_variants(alef):
    text = f"نعمل في {alef}طار الخطة."
    assert flagged(check(text, "ar"), text, "stock_phrase") == [f"في {alef}طار"]


def test_joined_conjunction_is_part_of_the_phrase():
    text = "وعليه فإن المكتب مغلق. وفي إطار الخطة نعمل."
    assert flagged(check(text, "ar"), text, "stock_phrase") == ["وعليه فإن", "وفي إطار"]


def test_phrase_ending_in_a_joined_letter():
    text = "يرجى التكرم بإرسال الأوراق."
    report = check(text, "ar")
    (hint,) = report.hints
    assert text[hint.start : hint.end] == "يرجى التكرم ب"
    assert hint.params["suggestion"] == "يرجى"


def test_joined_letter_phrase_needs_the_following_word():
    # Without a word to join, only the formal word itself is left to flag.
    text = "يرجى التكرم"
    report = check(text, "ar")
    assert flagged(report, text) == ["التكرم"]
    assert report.hints[0].kind == "rare_word"


@pytest.mark.parametrize(
    "written",
    ["استحصال", "الاستحصال", "بالاستحصال", "للاستحصال", "والاستحصال", "استحصالها"],
)
def test_formal_word_with_article_prepositions_and_pronouns(written):
    text = f"نطلب {written} على الموافقة."
    assert flagged(check(text, "ar"), text, "rare_word") == [written]


def test_formal_word_inside_another_word_is_not_flagged():
    # "كافة" is listed; "مكافأة" (reward) merely contains similar letters.
    assert "rare_word" not in kinds(check("حصل الفريق على مكافأة.", "ar"))


def test_offsets_include_the_marks_of_the_last_letter():
    text = "تمَّ افتتاح الطريق."
    (hint,) = check(text, "ar").hints
    assert text[hint.start : hint.end] == "تمَّ"


def test_formal_word_inside_stock_phrase_reported_once():
    text = "المشار إليه أعلاه مغلق."
    report = check(text, "ar")
    assert flagged(report, text) == ["المشار إليه أعلاه"]


def test_long_sentence_in_words():
    sentence = " ".join(["كلمة"] * 30)
    text = f"جملة قصيرة. {sentence}؟ شكرا"
    report = check(text, "ar")
    assert report.sentences == 3
    assert report.long_sentences == 1
    (hint,) = [h for h in report.hints if h.kind == "long_sentence"]
    assert text[hint.start : hint.end] == sentence + "؟"
    assert hint.params == {"count": "30", "limit": "25"}


def test_arabic_sentence_ends():
    report = check("أغلقنا الشارع؛ استخدموا الطريق الآخر؟ شكرا!", "ar")
    assert report.sentences == 3
    assert report.words == 6


@pytest.mark.parametrize(
    "text",
    [
        "أغلقنا شارع الكورنيش بسبب الأمطار. استخدموا شارع الميناء. شكرا لصبركم.",
        "تعود الحافلة رقم 12 إلى طريقها المعتاد يوم الاثنين. شكراً لكم.",
        "أصلحنا إنارة الشارع. أخبرونا إذا رأيتم عطلاً آخر.",
    ],
)
def test_plain_arabic_is_clean(text):
    report = check(text, "ar")
    assert report.hints == ()
    assert report.score == 100
    assert report.grade is None


def test_bureaucratic_arabic_flagged_and_scores_low():
    text = (
        "نحيطكم علماً بأنه بناءً على ما تقدم وفي إطار الخطة المعتمدة وحرصاً على "
        "المصلحة العامة، يرجى التكرم بموافاتنا بالمستندات المطلوبة في موعد أقصاه "
        "نهاية الشهر الجاري، وذلك استناداً إلى التعليمات المعمول بها، علماً بأنه "
        "سيتم اتخاذ الإجراءات اللازمة بحق المخالفين وفقاً للأنظمة ذات الصلة."
    )
    report = check(text, "ar")
    assert len([h for h in report.hints if h.kind == "stock_phrase"]) >= 8
    assert "long_sentence" in kinds(report)
    assert report.score < 40
