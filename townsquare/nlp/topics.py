"""Keyword-seeded topics from a per-government taxonomy.

A taxonomy is a list of topics, each with keywords in any of the three languages. A
text's topic is the one whose keywords it contains most (ties go to the topic listed
first, so a government orders its taxonomy by priority). ``DEFAULT_TAXONOMY`` covers
the services most governments answer for; a government replaces it with its own
through ``Taxonomy.from_dict`` (the format is the one ``to_dict`` writes), which checks
the input and says what is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from townsquare.nlp.lexicon import Analysed, TermIndex

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")
_LANGUAGES = ("en", "ar", "zh")
MAX_TOPICS = 200
MAX_KEYWORDS = 500


class TaxonomyError(ValueError):
    """A taxonomy description that cannot be used; the message says why."""


@dataclass(frozen=True)
class Topic:
    slug: str
    keywords: Mapping[str, tuple[str, ...]]  # language -> keywords


@dataclass(frozen=True)
class TopicMatch:
    topic: str | None
    scores: tuple[tuple[str, int], ...]  # (slug, keywords found), best first; hits only


class Taxonomy:
    def __init__(self, topics: list[Topic]) -> None:
        slugs = [t.slug for t in topics]
        if len(set(slugs)) != len(slugs):
            raise TaxonomyError("each topic needs its own slug")
        self.topics = topics
        self._index = TermIndex(
            {t.slug: [k for ks in t.keywords.values() for k in ks] for t in topics}
        )

    def classify(self, text: Analysed) -> TopicMatch:
        found = self._index.find(text)
        scores = [(slug, len(found[slug])) for slug in self._index.names if slug in found]
        # sorted() is stable: equal scores keep taxonomy order.
        scores.sort(key=lambda pair: -pair[1])
        return TopicMatch(topic=scores[0][0] if scores else None, scores=tuple(scores))

    def to_dict(self) -> dict[str, Any]:
        return {
            "topics": [
                {"slug": t.slug, "keywords": {lang: list(k) for lang, k in t.keywords.items()}}
                for t in self.topics
            ]
        }

    @classmethod
    def from_dict(cls, data: Any) -> Taxonomy:
        if not isinstance(data, dict) or not isinstance(data.get("topics"), list):
            raise TaxonomyError('a taxonomy is an object with a "topics" list')
        if not data["topics"]:
            raise TaxonomyError("a taxonomy needs at least one topic")
        if len(data["topics"]) > MAX_TOPICS:
            raise TaxonomyError(f"a taxonomy can have at most {MAX_TOPICS} topics")
        topics = []
        for n, item in enumerate(data["topics"], start=1):
            if not isinstance(item, dict):
                raise TaxonomyError(f"topic {n} is not an object")
            slug = item.get("slug")
            if not isinstance(slug, str) or not _SLUG.match(slug):
                raise TaxonomyError(
                    f"topic {n}: slug must be 1-50 lowercase letters, digits, - or _"
                )
            keywords = item.get("keywords")
            if not isinstance(keywords, dict) or not keywords:
                raise TaxonomyError(f"topic {slug}: keywords must map languages to lists")
            clean: dict[str, tuple[str, ...]] = {}
            for lang, words in keywords.items():
                if lang not in _LANGUAGES:
                    raise TaxonomyError(f"topic {slug}: unsupported language {lang!r}")
                if not isinstance(words, list) or not all(
                    isinstance(w, str) and w.strip() for w in words
                ):
                    raise TaxonomyError(f"topic {slug}: {lang} keywords must be non-empty texts")
                if len(words) > MAX_KEYWORDS:
                    raise TaxonomyError(f"topic {slug}: at most {MAX_KEYWORDS} keywords each")
                clean[lang] = tuple(words)
            topics.append(Topic(slug=slug, keywords=clean))
        return cls(topics)


def _topic(slug: str, en: str, ar: str, zh: str) -> Topic:
    return Topic(
        slug, {"en": tuple(en.split("|")), "ar": tuple(ar.split("|")), "zh": tuple(zh.split("|"))}
    )


DEFAULT_TAXONOMY = Taxonomy(
    [
        _topic(
            "emergencies",
            "emergency|fire|flood|flooding|earthquake|storm|evacuation|evacuate|rescue|"
            "ambulance|explosion|gas leak",
            "طوارئ|حريق|فيضان|سيول|زلزال|عاصفة|إخلاء|إنقاذ|إسعاف|انفجار|تسرب غاز|الدفاع المدني",
            "紧急|火灾|洪水|地震|台风|暴雨|疏散|救援|救护车|爆炸|燃气泄漏|消防",
        ),
        _topic(
            "transport",
            "bus|buses|train|trains|metro|tram|station|timetable|route|taxi|ferry|traffic|"
            "parking|public transport|ticket|tickets",
            "باص|حافلة|حافلات|قطار|مترو|محطة|مواعيد|سيارة أجرة|تاكسي|مرور|زحمة|"
            "ازدحام|موقف|مواقف|تذكرة|النقل",
            "公交|公交车|巴士|地铁|火车|车站|时刻表|线路|出租车|轮渡|交通|堵车|停车|车票",
        ),
        _topic(
            "roads",
            "road|roads|pothole|potholes|street|pavement|sidewalk|streetlight|street light|"
            "traffic light|bridge|roadworks",
            "طريق|طرق|شارع|شوارع|حفرة|حفر|رصيف|إنارة|عمود إنارة|إشارة مرور|جسر|أعمال الطرق",
            "道路|马路|坑洞|街道|人行道|路灯|红绿灯|桥|修路",
        ),
        _topic(
            "water",
            "water|water supply|tap|pipe|burst pipe|sewage|sewer|drainage|leak|water bill|outage",
            "ماء|مياه|المياه|انقطاع المياه|صنبور|أنبوب|ماسورة|صرف صحي|مجاري|تسرب|فاتورة المياه",
            "供水|停水|自来水|水管|爆管|污水|下水道|排水|漏水|水费",
        ),
        _topic(
            "electricity",
            "electricity|power|power cut|blackout|outage|electric bill|meter|power line",
            "كهرباء|الكهرباء|انقطاع الكهرباء|انقطاع التيار|عداد|فاتورة الكهرباء|التيار الكهربائي",
            "停电|供电|电费|电表|电线|断电",
        ),
        _topic(
            "waste",
            "rubbish|garbage|trash|waste|bin|bins|recycling|litter|dumping|collection",
            "قمامة|نفايات|زبالة|حاوية|حاويات|إعادة تدوير|تدوير|رمي المخلفات|مخلفات",
            "垃圾|垃圾桶|回收|垃圾分类|乱扔|清运",
        ),
        _topic(
            "health",
            "hospital|clinic|doctor|doctors|nurse|vaccine|vaccination|appointment|medicine|"
            "pharmacy|health centre|health center|covid|patients",
            "مستشفى|مستشفيات|عيادة|طبيب|أطباء|ممرض|لقاح|تطعيم|موعد|دواء|أدوية|صيدلية|"
            "مركز صحي|مركز الصحة|الصحة|كورونا|مرضى",
            "医院|诊所|医生|护士|疫苗|接种|挂号|药品|药店|卫生院|社区医院|新冠|病人|看病",
        ),
        _topic(
            "education",
            "school|schools|teacher|teachers|student|students|university|exam|exams|"
            "scholarship|classroom|kindergarten",
            "مدرسة|مدارس|معلم|معلمين|مدرس|طالب|طلاب|جامعة|امتحان|امتحانات|منحة|روضة|التعليم",
            "学校|老师|教师|学生|大学|考试|奖学金|教室|幼儿园|教育|高考",
        ),
        _topic(
            "housing",
            "housing|rent|landlord|eviction|social housing|apartment|building permit|"
            "homeless|homelessness",
            "سكن|إسكان|إيجار|ايجار|مالك|إخلاء المسكن|شقة|شقق|رخصة بناء|مشردين",
            "住房|房租|租房|房东|驱逐|保障房|公寓|建筑许可|无家可归|廉租房",
        ),
        _topic(
            "benefits-and-tax",
            "tax|taxes|benefit|benefits|pension|refund|allowance|payment|subsidy|fine|fines",
            "ضريبة|ضرائب|إعانة|معاش|تقاعد|استرداد|بدل|دفعة|دعم|غرامة|مخالفة",
            "纳税|税收|补贴|福利|养老金|退休金|退税|低保|罚款|社保",
        ),
        _topic(
            "public-safety",
            "police|crime|theft|robbery|stolen|violence|harassment|noise|unsafe",
            "شرطة|الشرطة|جريمة|سرقة|سطو|مسروق|عنف|تحرش|إزعاج|ضوضاء",
            "警察|派出所|犯罪|盗窃|抢劫|被偷|暴力|骚扰|噪音|治安",
        ),
        _topic(
            "documents-and-permits",
            "passport|id card|licence|license|permit|visa|certificate|birth certificate|"
            "registration|renewal|appointment booking",
            "جواز|جواز سفر|بطاقة هوية|هوية|رخصة|تصريح|تأشيرة|شهادة|شهادة ميلاد|تسجيل|تجديد",
            "护照|身份证|驾照|许可证|签证|证明|出生证明|户口|登记|办证|续签",
        ),
    ]
)
