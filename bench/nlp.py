"""Language models: texts per second on one core and development-split scores.

Each sentiment model classifies its development texts one at a time and as one batch;
then the whole enrichment (language, search text, sentiment, keywords, flags, topic)
runs on a mixed stream of short posts, one at a time (``enrich``) and in batches of 500
as the ingest pipeline sends them (``enrich_many``). The
development scores are recomputed from ../shared/data when it is there.
"""

from __future__ import annotations

import contextlib
import os
import time

from townsquare.nlp import datasets, enrich
from townsquare.nlp.enrichment import enrich_many
from townsquare.nlp.metrics import METRICS
from townsquare.nlp.normalise import search_text
from townsquare.nlp.sentiment import SENTIMENT_LANGUAGES, model_path, shipped_model
from townsquare.nlp.train import DEFAULT_DATA_DIR

LIMIT = 3000
BATCH = 500  # the ingest pipeline's default batch (INGEST_BATCH_SIZE)
POSTS = (
    "The number 12 bus has not come for 40 minutes at Harbour Road",
    "متى يعاد فتح مركز الصحة في الحي الشمالي؟ شكرا لكم",
    "请问下周供水维修会影响哪些小区？",
    "Thank you for fixing the streetlight so quickly 👏🏽",
    "🚨 Flooding on Corniche Street near the fish market, cars stuck #flood @CityGov",
    "الخدمة ممتازة thank you very much https://t.co/abc",
    "垃圾已经三天没人收了，太臭了",
    "Click here for free followers!!! https://spam.example",
)


def _rate(count: int, seconds: float) -> str:
    return f"{count / max(seconds, 1e-9):>9,.0f}/s"


class _Timer:
    """Wall time and this process's CPU time: on a machine shared with other jobs the
    CPU figure is the one that says what one core can do."""

    def __enter__(self) -> _Timer:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu

    def rates(self, count: int) -> str:
        return f"{_rate(count, self.cpu)} CPU {_rate(count, self.wall)} wall"


def _one_core() -> None:
    # The figures are per core: keep NumPy's BLAS from spreading over both.
    with contextlib.suppress(AttributeError, OSError):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def run() -> None:
    _one_core()
    data_dir = DEFAULT_DATA_DIR
    print("texts per second (per CPU-second of this process, and per wall-clock second)")
    for language in SENTIMENT_LANGUAGES:
        model = shipped_model(language)
        size = model_path(language).stat().st_size / 1e6
        score = "(../shared/data not found)"
        try:
            _, dev = datasets.split(datasets.load(language, data_dir))
            texts = dev.texts
            metric = datasets.SOURCES[language].metric
            value = METRICS[language](dev.labels, model.predict(dev.texts))
            score = f"{metric} {100 * value:.1f}"
        except datasets.DataError:
            texts = [p for p in POSTS if enrich(p, with_sentiment=False).language == language]
        sample = (texts * (LIMIT // max(len(texts), 1) + 1))[:LIMIT]
        with _Timer() as single:
            for text in sample:
                model.classify(text)
        with _Timer() as batch:
            model.classify_many(sample)
        chars = sum(map(len, sample)) / len(sample)
        print(f"sentiment-{language} ({size:.2f} MB, dev texts of {chars:.0f} chars on average)")
        print(f"  one at a time {single.rates(len(sample))}")
        print(f"  one batch     {batch.rates(len(sample))}")
        print(f"  dev split     {score}")
    stream = [f"{p} {n}" for n in range(LIMIT // len(POSTS)) for p in POSTS]
    for post in POSTS:  # load every model and jieba outside the timing
        enrich(post)
    with _Timer() as timer:
        for text in stream:
            search_text(text)
    print(f"search_text, mixed stream {timer.rates(len(stream))}")
    with _Timer() as timer:
        for text in stream:
            enrich(text)
    print(f"enrich (everything), mixed stream, one at a time {timer.rates(len(stream))}")
    with _Timer() as timer:
        for start in range(0, len(stream), BATCH):
            enrich_many(stream[start : start + BATCH])
    print(f"enrich_many, batches of {BATCH}, mixed stream {timer.rates(len(stream))}")
