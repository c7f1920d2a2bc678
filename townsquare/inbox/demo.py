"""Demo routing rules, canned replies and the learned router for the Harbour Region
(called by load_demo).

The sandbox simulator writes to every demo agency's account, including the central
communications account; these rules send what reaches the wrong place to the agency
and team responsible, and the learned router (trained on ``demo_routing_examples.json``)
what no rule matches. Idempotent: rules and replies are matched by name, examples by
text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from townsquare.inbox.learned_router import TrainingRefused
from townsquare.inbox.models import CannedReply, RoutingRule, TrainedClassifier
from townsquare.inbox.services.learning import router_train, routing_examples_add
from townsquare.organisations.models import Organisation, Team

OWNER = "communications-office"
GOVERNMENT = "harbour-region"
EXAMPLES_FILE = Path(__file__).resolve().parent / "demo_routing_examples.json"
# (name, target slug, team name, en, ar, zh, high priority)
RULES: list[tuple[str, str, str, str, str, str, bool]] = [
    ("Buses and ferries", "transport", "Bus services",
     "bus, buses, ferry, route, timetable, bus stop, driver",
     "حافلة, الحافلة, باص, عبارة, موقف", "巴士, 公交, 渡轮, 车站, 司机", False),
    ("Roads and traffic", "transport", "Roads and traffic",
     "road, traffic, pothole, traffic light, parking", "طريق, الطريق, مرور, حفرة, إشارة",
     "道路, 交通, 坑洞, 红绿灯, 停车", False),
    ("Water and power cuts", "water-and-electricity", "",
     "water, power cut, outage, electricity, blackout, leak",
     "ماء, مياه, كهرباء, انقطاع", "停水, 停电, 供水, 漏水", True),
    ("Clinics and hospitals", "health", "",
     "clinic, hospital, vaccine, doctor, appointment", "عيادة, مستشفى, لقاح, طبيب, موعد",
     "诊所, 医院, 疫苗, 医生, 预约", False),
    ("Police and fraud", "police", "Online fraud reporting",
     "scam, fraud, stolen, theft", "احتيال, سرقة, مسروق", "诈骗, 被骗, 盗窃, 被偷", False),
    ("Schools", "education", "", "school, exam, teacher, admission",
     "مدرسة, المدرسة, امتحان, معلم", "学校, 考试, 老师, 入学", False),
    ("Food parcels (partner)", "harbour-food-bank", "Food parcels",
     "food parcel, food bank, hungry", "سلة غذائية, بنك الطعام", "食物包, 食物银行", False),
]
CANNED: list[tuple[str, str, str, str, str]] = [
    ("communications-office", "We passed it on",
     ("Thank you. We have passed your message to the team responsible; they will answer "
      "you here."),
     "شكرًا لك. أحلنا رسالتك إلى الفريق المختص وسيرد عليك هنا.",
     "谢谢。我们已将您的留言转交负责的团队，他们会在这里回复您。"),
    ("transport", "Sorry for the delay",
     "Sorry for the delay. We have told the operations team and are checking the service now.",
     "نعتذر عن التأخير. أبلغنا فريق العمليات ونتحقق من الخدمة الآن.",
     "抱歉给您带来延误。我们已通知运营团队，正在核查服务情况。"),
    ("health", "Book an appointment",
     "You can book an appointment at any primary care clinic by phone or online.",
     "يمكنك حجز موعد في أي عيادة رعاية أولية عبر الهاتف أو الإنترنت.",
     "您可以通过电话或网上预约任何一家基层诊所。"),
]


@dataclass(frozen=True)
class InboxDemoSummary:
    rules: int
    replies: int
    examples: int = 0
    router: str = ""

    def __str__(self) -> str:
        return (f"Demo inbox: {self.rules} routing rules, {self.replies} canned replies, "
                f"{self.examples} routing examples added.{self.router}")


def demo_examples() -> list[tuple[str, str, str]]:
    """(organisation slug, language, text) of the demo's labelled citizen messages."""
    data = json.loads(EXAMPLES_FILE.read_text(encoding="utf-8"))["examples"]
    return [(slug, language, text) for slug, by_language in data.items()
            for language, texts in by_language.items() for text in texts]


def _demo_router() -> tuple[int, str]:
    government = Organisation.objects.filter(slug=GOVERNMENT).first()
    if government is None:
        return 0, ""
    added = routing_examples_add(government=government, examples=demo_examples(),
                                 source="demo")
    has_router = TrainedClassifier.objects.filter(
        government=government, kind=TrainedClassifier.Kind.ROUTER, is_active=True).exists()
    if not added and has_router:
        return 0, ""
    try:
        report = router_train(government=government)
    except TrainingRefused as exc:
        return added, f" The learned router was not trained: {exc}."
    accuracy = report.classifier.heldout_accuracy
    return added, (f" Learned router trained on {report.classifier.example_count} examples"
                   + (f" (held-out accuracy {100 * accuracy:.0f} %)." if accuracy is not None
                      else "."))


def _team(organisation: Organisation, name: str) -> Team | None:
    return organisation.teams.filter(name=name).first() if name else None


@transaction.atomic
def inbox_demo_load() -> InboxDemoSummary:
    organisations = {o.slug: o for o in Organisation.objects.all()}
    owner = organisations.get(OWNER)
    added_rules = added_replies = 0
    if owner is not None:
        for position, (name, slug, team, en, ar, zh, high) in enumerate(RULES, start=1):
            target = organisations.get(slug)
            if target is None or RoutingRule.objects.filter(organisation=owner,
                                                            name=name).exists():
                continue
            RoutingRule.objects.create(
                organisation=owner, name=name, position=position * 10, keywords_en=en,
                keywords_ar=ar, keywords_zh=zh, target_organisation=target,
                target_team=_team(target, team), mark_high_priority=high,
            )
            added_rules += 1
    for slug, title, en, ar, zh in CANNED:
        organisation = organisations.get(slug)
        if organisation is None:
            continue
        _, created = CannedReply.objects.get_or_create(
            organisation=organisation, title=title,
            defaults={"text_en": en, "text_ar": ar, "text_zh": zh},
        )
        added_replies += int(created)
    examples, router = _demo_router()
    return InboxDemoSummary(rules=added_rules, replies=added_replies, examples=examples,
                            router=router)
