"""Plain-language checker throughput: short posts and a 2,000-word document per language.

The baseline is a bare regex word tokenisation of the same text (re.findall(r"\\w+")):
the least any checker must do. The ratio shows what the real measures cost on top.
The composer calls the checker as the author types, so the figure to watch is the
time per short post (the issue asks for under 50 ms; it is far below).
"""

from __future__ import annotations

import re
import time

SECONDS_PER_FIGURE = 0.5

POSTS = {
    "en": [
        (
            "The number 12 bus is back on its normal route from Monday. Thank you for your "
            "patience while we repaired the road. Details: https://example.gov/buses"
        ),
        (
            "It is requested that all residents are informed that, notwithstanding the "
            "aforementioned works, refuse collection will commence prior to 7am (DVLA)."
        ),
        (
            "Flooding on Corniche Street 🚨 near the fish market. Please use Harbour Road "
            "instead and do not drive through water. Updates: @roads@social.example.gov"
        ),
    ],
    "ar": [
        (
            "تعود الحافلة رقم 12 إلى طريقها المعتاد يوم الاثنين. شكراً لصبركم خلال أعمال "
            "الصيانة. التفاصيل: https://example.gov/buses"
        ),
        (
            "نحيطكم علماً بأنه بناءً على ما تقدم وفي إطار خطة الوزارة، يرجى التكرم بمراجعة "
            "المركز لاستيفاء المستندات المطلوبة وذلك في موعد أقصاه نهاية الشهر الجاري."
        ),
        (
            "🚨 فيضان في شارع الكورنيش قرب سوق السمك. استخدموا طريق الميناء ولا تقودوا في "
            "المياه. سنوافيكم بالمستجدات."
        ),
    ],
    "zh-hans": [
        "12路公交车从周一起恢复原线路。感谢您在道路维修期间的耐心。详情：https://example.gov/buses",
        (
            "为进一步贯彻落实上级有关精神，兹定于12月1日起对相关道路进行封闭施工，届时请广大"
            "市民予以理解和支持。特此通知。"
        ),
        "🚨 滨海街鱼市附近积水严重，请改走海港路，不要涉水驾驶。我们会及时发布最新消息。",
    ],
}


def _document(language: str, words: int = 2000) -> str:
    """About ``words`` words (characters for Chinese) of the posts, repeated."""
    posts = POSTS[language]
    parts: list[str] = []
    count = 0
    while count < words:
        post = posts[len(parts) % len(posts)]
        parts.append(post)
        count += len(post) if language == "zh-hans" else len(post.split())
    return "\n\n".join(parts)


def _rate(func, texts: list[str]) -> float:
    """Calls per second, running for about SECONDS_PER_FIGURE."""
    for text in texts:
        func(text)  # warm up: lists load and patterns compile on first use
    calls = 0
    started = time.perf_counter()
    elapsed = 0.0
    while elapsed < SECONDS_PER_FIGURE:
        for text in texts:
            func(text)
        calls += len(texts)
        elapsed = time.perf_counter() - started
    return calls / elapsed


def run() -> None:
    from townsquare.nlp.plain_language import check

    word = re.compile(r"\w+")
    header = ("language", "text", "checks/s", "ms/check", "baseline/s", "ratio")
    print("{:<9} {:<15} {:>10} {:>9} {:>11} {:>6}".format(*header))
    for language, posts in POSTS.items():
        for label, texts in (
            ("short posts", posts),
            ("2,000-word doc", [_document(language)]),
        ):
            checks = _rate(lambda text, language=language: check(text, language), texts)
            baseline = _rate(word.findall, texts)
            print(
                f"{language:<9} {label:<15} {checks:>10,.0f} {1000 / checks:>9.3f} "
                f"{baseline:>11,.0f} {baseline / checks:>5.0f}×"
            )
    agency = [f"agency term {n}" for n in range(200)] + ["customer journey", "touchpoint"]
    checks = _rate(lambda text: check(text, "en", extra_avoid=agency), POSTS["en"])
    print(f"en with a 202-word agency list, short posts: {checks:,.0f} checks/s")
