"""The demo's consultation: the Transport Agency's proposed bus network, open for comment,
with its sections in English, Arabic and Chinese, some comments and replies, support,
opinion statements and generated votes (all marked as demo data, and said so on the page).

Votes come from three planted camps with a fixed seed, so the opinion-groups page always
finds the same groups: riders who want more night service, drivers who want fewer bus
lanes, and those in between; everyone agrees that timetables should be reliable.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from townsquare.engagement.consultation_models import (
    Comment,
    Consultation,
    ModerationState,
    Participant,
    StatementVote,
    Support,
)
from townsquare.engagement.identity import keyed_hash
from townsquare.engagement.services import consultations as service
from townsquare.organisations.models import Organisation, Role

SEED = 12
VOTERS = 90
SECTIONS = [
    ("Fewer routes, more often", {
        "ar": ("خطوط أقل وحافلات أكثر تكراراً",
               "نقترح دمج الخطوط المتشابهة حتى تمر الحافلة كل عشر دقائق على الخطوط الرئيسية."),
        "zh-hans": ("线路更少，班次更密", "我们建议合并相似的线路，使主要线路每十分钟一班。")},
     ("We propose merging similar routes so that buses on the main corridors come every ten "
      "minutes from early morning to late evening.")),
    ("Night buses", {
        "ar": ("الحافلات الليلية", "ستعمل أربعة خطوط ليلية بين منتصف الليل والخامسة صباحاً."),
        "zh-hans": ("夜间巴士", "四条夜间线路将在午夜至凌晨五点之间运行。")},
     ("Four night routes would run between midnight and five in the morning, every thirty "
      "minutes, on the busiest corridors.")),
    ("Bus lanes", {
        "ar": ("مسارات الحافلات", "سيصبح مسار واحد في الشوارع الرئيسية مخصصاً للحافلات."),
        "zh-hans": ("公交专用道", "主要街道将有一条车道专供公交车使用。")},
     "One lane of each main street would become a bus lane during peak hours."),
]
STATEMENTS = [
    ("Timetables should be reliable before anything else.",
     {"ar": {"text": "يجب أن تكون المواعيد دقيقة قبل أي شيء آخر."},
      "zh-hans": {"text": "时刻表首先必须可靠。"}}),
    ("Night buses are worth the cost.",
     {"ar": {"text": "الحافلات الليلية تستحق تكلفتها."},
      "zh-hans": {"text": "夜间巴士物有所值。"}}),
    ("Bus lanes make traffic worse for everyone else.",
     {"ar": {"text": "مسارات الحافلات تزيد الزحام على الجميع."},
      "zh-hans": {"text": "公交专用道让其他人更堵。"}}),
    ("I would walk further to a stop if the bus came more often.",
     {"ar": {"text": "سأمشي مسافة أطول إلى المحطة إذا جاءت الحافلة أكثر."},
      "zh-hans": {"text": "如果班次更多，我愿意多走几步去车站。"}}),
    ("Parking on main streets should stay.",
     {"ar": {"text": "يجب الإبقاء على المواقف في الشوارع الرئيسية."},
      "zh-hans": {"text": "主要街道的停车位应保留。"}}),
    ("Shift workers need buses after midnight.",
     {"ar": {"text": "عمال المناوبات يحتاجون حافلات بعد منتصف الليل."},
      "zh-hans": {"text": "倒班工人需要午夜后的公交。"}}),
]
# Agree probability per statement for each camp: riders, drivers, in between.
CAMPS = [
    ([0.9, 0.9, 0.1, 0.8, 0.1, 0.9], 0.45),
    ([0.9, 0.2, 0.9, 0.2, 0.9, 0.3], 0.35),
    ([0.85, 0.5, 0.5, 0.6, 0.5, 0.6], 0.20),
]
COMMENTS = [
    (1, "Amira", "", "Please keep a stop near the hospital; many patients cannot walk far."),
    (2, "Chen Jie", "", "我下夜班是凌晨一点，夜间巴士对我非常重要。"),
    (2, "Harbour Night Workers Union", "Harbour Night Workers Union",
     "Our members support the night routes and ask for a stop at the port gate."),
    (3, "سالم", "", "مسارات الحافلات ستساعد، لكن يجب تنظيم التحميل والتنزيل للمحلات."),
    (0, "Daniel", "", "<b>Good plan</b> overall, but publish the new timetables early."),
]


@transaction.atomic
def consultation_demo_load(now: dt.datetime | None = None) -> int:
    """Idempotent: 0 when the demo consultation exists already (or there is no agency)."""
    organisation = Organisation.objects.filter(slug="transport").first()
    if organisation is None or Consultation.objects.filter(is_demo=True).exists():
        return 0
    membership = organisation.memberships.filter(role=Role.ADMINISTRATOR).select_related(
        "user").first()
    if membership is None:
        return 0
    actor, now = membership.user, now or timezone.now()
    consultation = service.consultation_create(
        actor=actor, organisation=organisation, title="A new bus network for Harbour",
        summary="We propose a simpler, more frequent bus network. Tell us what you think of "
                "each part, vote on the statements, or send a formal response.",
        moderation="post", comments_open_at=now - dt.timedelta(days=10),
        comments_close_at=now + dt.timedelta(days=50),
        translations={"ar": {"title": "شبكة حافلات جديدة لهاربور",
                             "summary": "نقترح شبكة حافلات أبسط وأكثر تكراراً. شاركنا رأيك."},
                      "zh-hans": {"title": "哈伯新的公交网络",
                                  "summary": "我们建议建立更简单、班次更密的公交网络。"
                                             "欢迎发表意见。"}})
    sections = []
    for title, translations, body in SECTIONS:
        sections.append(service.consultation_section_save(
            actor=actor, consultation=consultation, title=title, body=body,
            translations={lang: {"title": t, "body": b} for lang, (t, b) in translations.items()}))
    consultation = service.consultation_publish(actor=actor, consultation=consultation)
    Consultation.objects.filter(pk=consultation.pk).update(is_demo=True)
    statements = [service.statement_seed(actor=actor, consultation=consultation, text=text,
                                         translations=translations)
                  for text, translations in STATEMENTS]
    comments = []
    for index, (section, name, organisation_name, body) in enumerate(COMMENTS):
        participant = Participant.objects.create(
            consultation=consultation, key=keyed_hash("demo-participant", str(index)),
            session_hash=keyed_hash("demo-session", str(index)), name=name,
            organisation_name=organisation_name, is_demo=True)
        comments.append(Comment.objects.create(
            consultation=consultation, section=sections[section - 1] if section else None,
            participant=participant, author_name=name, organisation_name=organisation_name,
            body=body, state=ModerationState.PUBLISHED, is_demo=True))
    Comment.objects.create(consultation=consultation, section=comments[1].section,
                           parent=comments[1], participant=comments[2].participant,
                           author_name=comments[2].author_name, body="We agree with Chen Jie.",
                           state=ModerationState.PUBLISHED, is_demo=True)
    rng = random.Random(SEED)  # noqa: S311 (sample data)
    votes, supports = [], []
    for voter in range(VOTERS):
        key = keyed_hash("demo-voter", str(voter))
        agree = rng.choices([c for c, _w in CAMPS], weights=[w for _c, w in CAMPS])[0]
        for statement, chance in zip(statements, agree, strict=True):
            if rng.random() < 0.1:
                continue  # not everyone votes on everything
            roll = rng.random()
            vote = 1 if roll < chance else (0 if roll < chance + 0.1 else -1)
            votes.append(StatementVote(statement=statement, consultation=consultation,
                                       voter_key=key, vote=vote, is_demo=True))
        if rng.random() < 0.5:
            supports.append(Support(consultation=consultation, section=rng.choice(sections),
                                    voter_key=key, stance=rng.choice([1, 1, -1]), is_demo=True))
    StatementVote.objects.bulk_create(votes)
    Support.objects.bulk_create(supports)
    return 1
