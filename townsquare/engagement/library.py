"""First-class survey templates staff can start from, in English, Arabic and Chinese.

Agencies must measure satisfaction, and the impact of their social media on services; a
template gives them a tested questionnaire (with region and age band questions, so the
results can be broken down) that they then adapt in the builder.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from townsquare.core.services import audit_record
from townsquare.engagement.models import QuestionKind as K
from townsquare.engagement.models import Survey, TemplateKind
from townsquare.engagement.services.builder import (
    ChoiceSpec,
    question_add,
    section_add,
    survey_create,
)
from townsquare.organisations.models import Organisation, User

Text = tuple[str, str, str]  # English, Arabic, Simplified Chinese


def _tr(text: Text, field: str) -> dict[str, dict[str, str]]:
    return {"ar": {field: text[1]}, "zh-hans": {field: text[2]}}


def _choices(options: list[tuple[str, Text]]) -> list[ChoiceSpec]:
    return [ChoiceSpec(label=t[0], value=v, translations=_tr(t, "label")) for v, t in options]


AGREE: list[tuple[str, Text]] = [
    ("strongly-disagree", ("Strongly disagree", "لا أوافق بشدة", "非常不同意")),
    ("disagree", ("Disagree", "لا أوافق", "不同意")),
    ("neutral", ("Neither agree nor disagree", "محايد", "既不同意也不反对")),
    ("agree", ("Agree", "أوافق", "同意")),
    ("strongly-agree", ("Strongly agree", "أوافق بشدة", "非常同意")),
]
REGION: dict[str, Any] = {
    "key": "region", "kind": K.SINGLE, "segment": "region",
    "text": ("Which area do you live in?", "في أي منطقة تسكن؟", "您住在哪个地区？"),
    "options": [
        ("north", ("North district", "المنطقة الشمالية", "北区")),
        ("south", ("South district", "المنطقة الجنوبية", "南区")),
        ("east", ("East district", "المنطقة الشرقية", "东区")),
        ("west", ("West district", "المنطقة الغربية", "西区")),
        ("central", ("Central district", "المنطقة الوسطى", "中区")),
    ],
}
AGE_BAND: dict[str, Any] = {
    "key": "age-band", "kind": K.SINGLE, "segment": "age_band",
    "text": ("How old are you?", "كم عمرك؟", "您的年龄是？"),
    "options": [
        ("under-25", ("Under 25", "أقل من 25", "25岁以下")),
        ("25-44", ("25 to 44", "من 25 إلى 44", "25至44岁")),
        ("45-64", ("45 to 64", "من 45 إلى 64", "45至64岁")),
        ("65-plus", ("65 or over", "65 فأكثر", "65岁及以上")),
    ],
}
ABOUT_YOU: Text = ("About you", "معلومات عنك", "关于您")

SATISFACTION: dict[str, Any] = {
    "title": ("How satisfied are you with our services?", "ما مدى رضاك عن خدماتنا؟",
              "您对我们的服务满意吗？"),
    "intro": (("Tell us about your last contact with us. It takes about three minutes; "
              "your answers are anonymous."),
              "أخبرنا عن آخر تواصل لك معنا. يستغرق ذلك نحو ثلاث دقائق، وإجاباتك مجهولة الهوية.",
              "请告诉我们您最近一次与我们联系的情况。大约需要三分钟；您的回答是匿名的。"),
    "sections": [
        (("Your recent contact", "تواصلك الأخير", "您最近的联系"), [
            {"key": "contact-channel", "kind": K.SINGLE,
             "text": ("How did you last contact us?", "كيف تواصلت معنا آخر مرة؟",
                      "您最近一次是通过什么方式联系我们的？"),
             "options": [
                 ("website", ("Website", "الموقع الإلكتروني", "网站")),
                 ("social-media", ("Social media", "وسائل التواصل الاجتماعي", "社交媒体")),
                 ("phone", ("Phone", "الهاتف", "电话")),
                 ("in-person", ("In person at a service centre", "حضورياً في مركز خدمة",
                                "到服务中心办理")),
                 ("email-sms", ("Email or SMS", "البريد الإلكتروني أو الرسائل النصية",
                                "电子邮件或短信")),
             ]},
            {"key": "satisfaction", "kind": K.LIKERT, "required": True,
             "text": ("Overall, how satisfied are you with the service you received?",
                      "بشكل عام، ما مدى رضاك عن الخدمة التي تلقيتها؟",
                      "总体而言，您对所获得的服务满意吗？"),
             "options": [
                 ("very-dissatisfied", ("Very dissatisfied", "غير راضٍ إطلاقاً", "非常不满意")),
                 ("dissatisfied", ("Dissatisfied", "غير راضٍ", "不满意")),
                 ("neutral", ("Neither satisfied nor dissatisfied", "محايد", "一般")),
                 ("satisfied", ("Satisfied", "راضٍ", "满意")),
                 ("very-satisfied", ("Very satisfied", "راضٍ جداً", "非常满意")),
             ]},
            {"key": "what-went-wrong", "kind": K.TEXT,
             "condition": {"any": [{"question": "satisfaction", "equals": "very-dissatisfied"},
                                   {"question": "satisfaction", "equals": "dissatisfied"}]},
             "text": ("What went wrong?", "ما الذي لم يسر على ما يرام؟", "出了什么问题？")},
            {"key": "resolved", "kind": K.SINGLE,
             "text": ("Was your issue resolved?", "هل حُلّت مشكلتك؟", "您的问题解决了吗？"),
             "options": [("yes", ("Yes", "نعم", "是")), ("partly", ("Partly", "جزئياً", "部分解决")),
                         ("no", ("No", "لا", "否"))]},
            {"key": "aspects", "kind": K.MATRIX,
             "text": ("How would you rate each of these?", "كيف تقيّم كلاً مما يلي؟",
                      "您如何评价以下各项？"),
             "rows": [("speed", ("Speed of the answer", "سرعة الرد", "答复速度")),
                      ("clarity", ("Clarity of the information", "وضوح المعلومات", "信息清晰度")),
                      ("courtesy", ("Courtesy of staff", "لباقة الموظفين", "工作人员的礼貌"))],
             "options": [("poor", ("Poor", "ضعيف", "差")), ("fair", ("Fair", "مقبول", "一般")),
                         ("good", ("Good", "جيد", "好")),
                         ("excellent", ("Excellent", "ممتاز", "非常好"))]},
            {"key": "improve", "kind": K.TEXT,
             "text": ("What one thing should we improve?", "ما الشيء الوحيد الذي يجب أن نحسّنه؟",
                      "我们最应该改进的一件事是什么？")},
        ]),
        (ABOUT_YOU, [REGION, AGE_BAND]),
    ],
}

IMPACT: dict[str, Any] = {
    "title": ("How can the impact of social media on government services be measured?",
              "كيف يمكن قياس أثر وسائل التواصل الاجتماعي على الخدمات الحكومية؟",
              "如何衡量社交媒体对政府服务的影响？"),
    "intro": ("Help us understand whether our social media makes services easier to use.",
              "ساعدنا على فهم ما إذا كانت حساباتنا على وسائل التواصل الاجتماعي تجعل الخدمات أسهل.",
              "帮助我们了解我们的社交媒体是否让服务更便于使用。"),
    "sections": [
        (("Social media and government", "وسائل التواصل الاجتماعي والحكومة", "社交媒体与政府"), [
            {"key": "networks", "kind": K.MULTIPLE,
             "text": ("Where do you follow government accounts? Choose all that apply.",
                      "أين تتابع الحسابات الحكومية؟ اختر كل ما ينطبق.",
                      "您在哪些平台关注政府账号？可多选。"),
             "options": [("facebook", ("Facebook", "فيسبوك", "Facebook")),
                         ("x", ("X (Twitter)", "إكس (تويتر)", "X（推特）")),
                         ("instagram", ("Instagram", "إنستغرام", "Instagram")),
                         ("whatsapp", ("WhatsApp", "واتساب", "WhatsApp")),
                         ("telegram", ("Telegram", "تيليغرام", "Telegram")),
                         ("wechat-weibo", ("WeChat or Weibo", "وي تشات أو ويبو", "微信或微博")),
                         ("none", ("None", "لا شيء", "都没有"))]},
            {"key": "frequency", "kind": K.SINGLE, "required": True,
             "text": ("How often do you learn about government services from social media?",
                      "كم مرة تعرف عن الخدمات الحكومية من وسائل التواصل الاجتماعي؟",
                      "您多久从社交媒体了解一次政府服务？"),
             "options": [("daily", ("Every day", "يومياً", "每天")),
                         ("weekly", ("Every week", "أسبوعياً", "每周")),
                         ("monthly", ("Every month", "شهرياً", "每月")),
                         ("rarely", ("Rarely", "نادراً", "很少")),
                         ("never", ("Never", "أبداً", "从不"))]},
            {"key": "used-service", "kind": K.LIKERT,
             "condition": {"any": [{"question": "frequency", "equals": v}
                                   for v in ("daily", "weekly", "monthly", "rarely")]},
             "text": (("A social media post helped me use a service (apply, renew, report) "
                      "without visiting an office."),
                      ("ساعدني منشور على وسائل التواصل الاجتماعي في استخدام خدمة "
                       "(تقديم طلب، تجديد، إبلاغ) دون زيارة مكتب."),
                      "社交媒体上的一条信息帮助我无需前往办事处就使用了一项服务（申请、续期、报告）。"),
             "options": AGREE},
            {"key": "trust", "kind": K.LIKERT,
             "text": ("Official accounts make me trust government information more.",
                      "الحسابات الرسمية تجعلني أثق بالمعلومات الحكومية أكثر.",
                      "官方账号让我更加信任政府信息。"),
             "options": AGREE},
            {"key": "measures", "kind": K.RANKING,
             "text": (("Which of these best shows that government social media works? Rank "
                      "them, 1 for the best."),
                      ("أيّ مما يلي يُظهر بشكل أفضل أن حسابات الحكومة على وسائل التواصل تؤدي "
                      "دورها؟ رتّبها، 1 للأفضل."),
                      "以下哪项最能说明政府社交媒体有效？请排序，1为最佳。"),
             "options": [("faster-answers", ("Faster answers to questions",
                                             "إجابات أسرع عن الأسئلة", "更快答复问题")),
                         ("fewer-visits", ("Fewer visits and calls needed",
                                           "حاجة أقل للزيارات والمكالمات", "减少上门和来电")),
                         ("online-use", ("More people using online services",
                                         "المزيد من الناس يستخدمون الخدمات الإلكترونية",
                                         "更多人使用在线服务")),
                         ("feeling-heard", ("Citizens feeling heard",
                                            "شعور المواطنين بأنهم مسموعون", "市民感到意见被听取")),
                         ("fewer-rumours", ("Fewer rumours and false information",
                                            "شائعات ومعلومات كاذبة أقل", "谣言和虚假信息减少"))]},
            {"key": "hours-saved", "kind": K.NUMBER, "min_value": 0, "max_value": 200,
             "text": ("About how many hours did social media updates save you last month?",
                      "كم ساعة تقريباً وفّرت عليك تحديثات وسائل التواصل الاجتماعي الشهر الماضي؟",
                      "上个月社交媒体上的信息大约为您节省了多少小时？")},
            {"key": "other-measures", "kind": K.TEXT,
             "text": ("How else should government measure the impact of its social media?",
                      ("كيف يمكن للحكومة أن تقيس أثر حساباتها على وسائل التواصل الاجتماعي "
                       "بطرق أخرى؟"),
                      "政府还应如何衡量其社交媒体的影响？")},
        ]),
        (ABOUT_YOU, [REGION, AGE_BAND]),
    ],
}

TEMPLATES: dict[str, dict[str, Any]] = {TemplateKind.SATISFACTION: SATISFACTION,
                                        TemplateKind.IMPACT: IMPACT}
TEMPLATE_DESCRIPTIONS = {
    TemplateKind.SATISFACTION: _("Overall satisfaction, what went wrong, whether the issue "
                                 "was resolved, and ratings of speed, clarity and courtesy."),
    TemplateKind.IMPACT: _("How can the impact of social media on government services be "
                           "measured? Reach, use of services, trust and citizens' own "
                           "measures."),
}


@transaction.atomic
def survey_create_from_template(*, actor: User, organisation: Organisation, template: str,
                                ) -> Survey:
    """A draft survey holding the template's sections and questions, ready to adapt."""
    spec = TEMPLATES[template]
    title, intro = spec["title"], spec["intro"]
    survey = survey_create(
        actor=actor, organisation=organisation, title=title[0], intro=intro[0],
        translations={"ar": {"title": title[1], "intro": intro[1]},
                      "zh-hans": {"title": title[2], "intro": intro[2]}},
        template_kind=template, audit=False)
    for section_title, questions in spec["sections"]:
        section = section_add(actor=actor, survey=survey, title=section_title[0],
                              translations=_tr(section_title, "title"), audit=False)
        for q in questions:
            question_add(
                actor=actor, section=section, kind=q["kind"], key=q["key"], text=q["text"][0],
                translations=_tr(q["text"], "text"), required=q.get("required", False),
                condition=q.get("condition"), segment=q.get("segment", ""),
                min_value=q.get("min_value"), max_value=q.get("max_value"),
                options=_choices(q.get("options", [])), rows=_choices(q.get("rows", [])),
                audit=False)
    audit_record(actor=actor, action="survey.created", organisation=organisation,
                 target=survey, details={"template": template})
    return survey
