"""English measures: grade, syllables, long sentences, passive voice, acronyms, word list."""

from __future__ import annotations

import pytest

from townsquare.nlp.plain_language import check
from townsquare.nlp.plain_language.english import flesch_kincaid_grade, syllables

from .helpers import flagged, kinds


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("cat", 1),
        ("the", 1),
        ("make", 1),
        ("makes", 1),
        ("jumped", 1),
        ("queue", 1),
        ("you", 1),
        ("table", 2),
        ("simple", 2),
        ("people", 2),
        ("wanted", 2),
        ("boxes", 2),
        ("service", 2),
        ("being", 2),
        ("going", 2),
        ("water", 2),
        ("business", 2),
        ("government", 3),
        ("beautiful", 3),
        ("idea", 3),
        ("area", 3),
        ("readily", 3),
        ("video", 3),
        ("media", 3),
        ("actual", 3),
        ("information", 4),
        ("application", 4),
        ("material", 4),
        ("university", 5),
        ("communication", 5),
        ("organisation", 5),
        ("responsibility", 6),
        ("Government’s", 3),
        ("2026", 1),
    ],
)
def test_syllables_of_known_words(word, expected):
    assert syllables(word) == expected


def test_flesch_kincaid_formula():
    # 0.39 × 20 + 11.8 × 1.5 − 15.59 = 9.91
    assert flesch_kincaid_grade(words=100, sentences=5, syllables=150) == 9.9
    # Very short, simple text would be negative: reported as 0.
    assert flesch_kincaid_grade(words=6, sentences=1, syllables=6) == 0.0


def test_grade_is_higher_for_officialese_than_for_plain_text():
    plain = check("We fixed the light. Tell us if it breaks again.", "en")
    formal = check(
        "Notwithstanding the aforementioned considerations, the organisation's "
        "administrative responsibilities necessitate comprehensive documentation.",
        "en",
    )
    assert plain.grade is not None and formal.grade is not None
    assert plain.grade < 3
    assert formal.grade > 12
    assert plain.score > formal.score


def test_counts_sentences_and_words():
    report = check("The bus is late. It will come at 5.30 today! Sorry, Mr. Khan?", "en")
    assert report.sentences == 3  # "5.30" and "Mr." do not end a sentence
    assert report.words == 13


def test_line_breaks_end_sentences():
    report = check("Road closed\nUse the bypass\n\nThanks", "en")
    assert report.sentences == 3


def test_long_sentence_flagged_with_its_word_count():
    long_one = " ".join(["word"] * 30) + "."
    text = "Short one. " + long_one
    report = check(text, "en")
    assert report.long_sentences == 1
    (hint,) = [h for h in report.hints if h.kind == "long_sentence"]
    assert text[hint.start : hint.end] == long_one
    assert hint.params == {"count": "30", "limit": "25"}
    assert "30 words" in hint.message


def test_sentence_of_exactly_the_limit_is_not_long():
    report = check(" ".join(["word"] * 25) + ".", "en")
    assert report.long_sentences == 0


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("The form was approved yesterday.", "was approved"),
        ("The forms were sent by the council.", "were sent"),
        ("Your application is being processed.", "is being processed"),
        ("The road has been reopened.", "been reopened"),
        ("The fee was not paid.", "was not paid"),
        ("Permits are usually issued within a week.", "are usually issued"),
        ("Bins will be collected on Friday.", "be collected"),
        ("The report was written by the mayor.", "was written"),
    ],
)
def test_passive_voice(text, phrase):
    assert flagged(check(text, "en"), text, "passive") == [phrase]


@pytest.mark.parametrize(
    "text",
    [
        "We approved the form yesterday.",
        "Harbour Road is closed until 6pm.",
        "The streetlight is broken.",
        "The team is based in Dubai.",
        "We are interested in your views.",
        "The bus is red.",
        "The office is open. It is late. This is a need.",
        "The form was, approved.",  # punctuation between: not one phrase
    ],
)
def test_not_passive(text):
    assert "passive" not in kinds(check(text, "en"))


def test_unexplained_acronym_flagged_once():
    text = "Contact the DVLA today. The DVLA will reply."
    report = check(text, "en")
    hints = [h for h in report.hints if h.kind == "acronym"]
    assert len(hints) == 1
    assert text[hints[0].start : hints[0].end] == "DVLA"
    assert hints[0].params == {"acronym": "DVLA"}


@pytest.mark.parametrize(
    "text",
    [
        "The Driver and Vehicle Licensing Agency (DVLA) has moved. Call the DVLA.",
        "The DVLA (Driver and Vehicle Licensing Agency) has moved. Call the DVLA.",
        "Ask the UK and US embassies, the EU and the UN. OK?",
        "COVID-19 vaccines are free. Get your COVID jab.",
        "PLEASE READ THIS BEFORE YOU TRAVEL",
        "King Charles III opened the bridge.",
    ],
)
def test_acronyms_not_flagged(text):
    assert "acronym" not in kinds(check(text, "en"))


def test_acronym_defined_only_later_is_flagged_at_first_use():
    text = "Call HMRC. HM Revenue and Customs (HMRC) answers."
    assert flagged(check(text, "en"), text, "acronym") == ["HMRC"]


def test_plural_acronym():
    text = "All LEPs must report."
    assert check(text, "en").hints[0].params == {"acronym": "LEP"}


def test_avoid_words_with_suggestions():
    text = "We will utilise the funds in order to facilitate repairs prior to May."
    report = check(text, "en")
    assert flagged(report, text, "avoid_word") == [
        "utilise",
        "in order to",
        "facilitate",
        "prior to",
    ]
    by_word = {h.params["word"]: h.params["suggestion"] for h in report.hints}
    assert by_word["utilise"] == "use"
    assert by_word["in order to"] == "to"
    assert by_word["prior to"] == "before"


def test_avoid_words_inflected_and_any_case():
    text = "Staff Utilised the hall. The works commenced. We are utilizing it."
    assert flagged(check(text, "en"), text, "avoid_word") == ["Utilised", "commenced", "utilizing"]


def test_avoid_word_to_leave_out():
    text = "We hereby confirm it."
    (hint,) = check(text, "en").hints
    assert hint.code == "avoid_word_omit"
    assert "suggestion" not in hint.params
    assert "leave out" in hint.message


def test_phrase_not_matched_across_punctuation():
    text = "Read this in order. To apply, call us."
    assert "in order to" not in [h.params.get("word", "").lower() for h in check(text, "en").hints]


@pytest.mark.parametrize(
    "text",
    [
        "The number 12 bus is back on its normal route from Monday. Thank you for your patience.",
        "Harbour Road is closed until 6pm because of flooding. Please use Corniche Street instead.",
        "We fixed the streetlight on King Street. Tell us if you see another one that is broken.",
        "You can apply for a parking permit online. It takes about 10 minutes and costs £20.",
        "Call 999 if someone is hurt. For anything else, call 101.",
    ],
)
def test_plain_posts_are_clean(text):
    report = check(text, "en")
    assert report.hints == ()
    assert report.score == 100


def test_officialese_is_flagged_and_scores_low():
    text = (
        "It is requested that all stakeholders are informed that, notwithstanding the "
        "aforementioned difficulties, the Department will endeavour to expedite the "
        "implementation of the revised arrangements prior to the commencement of the "
        "financial year, in accordance with the guidance issued by the MHCLG."
    )
    report = check(text, "en")
    assert {"avoid_word", "passive", "acronym", "long_sentence"} <= kinds(report)
    assert report.score < 40
