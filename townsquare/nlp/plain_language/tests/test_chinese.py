"""Chinese measures: sentence length in characters, stock phrases, formal words."""

from __future__ import annotations

import pytest

from townsquare.nlp.plain_language import check

from .helpers import flagged, kinds


def test_stock_phrases_and_formal_words():
    text = "兹定于12月1日起对有关道路进行施工，届时请广大市民予以配合。特此通知。"
    report = check(text, "zh")
    assert flagged(report, text, "stock_phrase") == ["兹定于", "广大市民", "特此通知"]
    assert flagged(report, text, "rare_word") == ["进行", "届时", "予以"]
    hint = next(h for h in report.hints if text[h.start : h.end] == "特此通知")
    assert hint.code == "stock_phrase_omit"
    hint = next(h for h in report.hints if text[h.start : h.end] == "届时")
    assert hint.params["suggestion"] == "到时候"


def test_longest_phrase_wins():
    text = "各单位望周知。"
    assert flagged(check(text, "zh-hans"), text) == ["望周知"]


def test_listed_phrases():
    for phrase in ("贯彻落实", "有关事宜", "予以", "兹定于", "特此通知"):
        text = f"请注意{phrase}的内容。"
        assert flagged(check(text, "zh"), text) == [phrase], phrase


def test_sentences_split_on_chinese_punctuation():
    report = check("今天停水。明天恢复！有问题吗？请致电；谢谢", "zh")
    assert report.sentences == 5


def test_characters_counted_latin_words_and_numbers_as_one():
    report = check("12路公交车 bus 从周一起恢复。", "zh")
    # 12, 路, 公, 交, 车, bus, 从, 周, 一, 起, 恢, 复
    assert report.words == 12


def test_long_sentence_in_characters():
    sentence = "我" * 45 + "。"
    text = "短句。" + sentence
    report = check(text, "zh")
    (hint,) = [h for h in report.hints if h.kind == "long_sentence"]
    assert text[hint.start : hint.end] == sentence
    assert hint.code == "long_sentence_characters"
    assert hint.params == {"count": "45", "limit": "40"}
    assert check("我" * 40 + "。", "zh").long_sentences == 0


@pytest.mark.parametrize(
    "text",
    [
        "12路公交车从周一起恢复原线路。感谢您的耐心。",
        "海港路因积水暂时封闭，请绕行滨海街。",
        "我们已经修好了国王街的路灯。如果发现其他故障，请告诉我们。",
    ],
)
def test_plain_chinese_is_clean(text):
    report = check(text, "zh")
    assert report.hints == ()
    assert report.score == 100


def test_officialese_chinese_scores_low():
    text = (
        "为进一步贯彻落实上级有关精神，切实加强城市道路管理，现将有关事宜通知如下："
        "兹定于2026年12月1日起对相关道路进行封闭施工，届时请广大市民予以理解和支持，"
        "由此带来的不便，敬请谅解。特此通知。"
    )
    report = check(text, "zh")
    assert len(report.hints) >= 10
    assert "long_sentence" in kinds(report)
    assert report.score < 40
