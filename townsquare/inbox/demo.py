"""Demo routing rules and canned replies for the Harbour Region (called by load_demo).

The sandbox simulator writes to every demo agency's account, including the central
communications account; these rules send what reaches the wrong place to the agency
and team responsible. Idempotent: rules and replies are matched by name.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from townsquare.inbox.models import CannedReply, RoutingRule
from townsquare.organisations.models import Organisation, Team

OWNER = "communications-office"
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

    def __str__(self) -> str:
        return f"Demo inbox: {self.rules} routing rules, {self.replies} canned replies added."


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
    return InboxDemoSummary(rules=added_rules, replies=added_replies)
