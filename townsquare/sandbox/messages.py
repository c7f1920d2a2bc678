"""What simulated residents say to agencies: templates per topic, category and language.

``{place}``, ``{number}`` and ``{time}`` are filled from the lists at the end, so each
template yields many different messages. Texts are written as people write on social
media: short, informal, sometimes angry, with emoji.
"""

# ruff: noqa: E501 (message texts read best unbroken)
from __future__ import annotations

TOPICS = (
    "transport", "health", "water", "housing", "police", "environment", "education", "social",
)
CATEGORIES = ("complaint", "question", "praise", "rumour", "emergency", "spam")
LANGUAGES = ("en", "ar", "zh")

# Which topics each demo organisation (by slug) hears about; others hear about all.
TOPICS_BY_AGENCY = {
    "transport": ("transport",),
    "health": ("health",),
    "water-and-electricity": ("water",),
    "housing": ("housing",),
    "police": ("police",),
    "environment": ("environment",),
    "education": ("education",),
    "social-services": ("social",),
    "ministry-of-infrastructure": ("transport", "water", "housing"),
}

T = dict[str, dict[str, tuple[str, ...]]]

TEMPLATES: dict[str, T] = {
    "transport": {
        "complaint": {
            "en": ("Bus {number} at {place} is late AGAIN. Waited {time} in the heat 😤",
                   "The ticket machine at {place} station has been broken for a week. Fix it please"),
            "ar": ("الحافلة رقم {number} في {place} متأخرة مرة أخرى، انتظرنا {time} تحت الشمس 😤",
                   "آلة التذاكر في محطة {place} معطلة منذ أسبوع، متى سيتم إصلاحها؟"),
            "zh": ("{place}的{number}路公交又晚点了，在太阳底下等了{time} 😤",
                   "{place}站的售票机坏了一个星期了，请尽快修理"),
        },
        "question": {
            "en": ("Does the {number} still stop at {place} during the roadworks?",),
            "ar": ("هل ما زالت الحافلة {number} تتوقف في {place} أثناء أعمال الطرق؟",),
            "zh": ("修路期间{number}路车还停{place}站吗？",),
        },
        "praise": {
            "en": ("The new night buses from {place} are brilliant, thank you 👏",),
            "ar": ("حافلات الليل الجديدة من {place} ممتازة، شكرًا لكم 👏",),
            "zh": ("从{place}出发的新夜班车太方便了，谢谢 👏",),
        },
        "rumour": {
            "en": ("Heard bus fares are doubling next month, is that true??",),
            "ar": ("سمعت أن أسعار تذاكر الحافلات ستتضاعف الشهر القادم، هل هذا صحيح؟",),
            "zh": ("听说下个月公交票价要翻倍，是真的吗？？",),
        },
        "emergency": {
            "en": ("Serious crash at the {place} junction, a bus is involved, people hurt. Send help!",),
            "ar": ("حادث خطير عند تقاطع {place} وفيه حافلة ومصابون، أرسلوا المساعدة!",),
            "zh": ("{place}路口发生严重车祸，有公交车，有人受伤，快派人来！",),
        },
    },
    "health": {
        "complaint": {
            "en": ("Waited {time} at {place} clinic and still not seen. This is unacceptable",),
            "ar": ("انتظرت {time} في عيادة {place} ولم يفحصني أحد، هذا غير مقبول",),
            "zh": ("在{place}诊所等了{time}还没看上病，太不像话了",),
        },
        "question": {
            "en": ("Where can I get the flu vaccine near {place}? Is it free for over 65s?",
                   "How do I book an appointment for my son at {place} clinic?"),
            "ar": ("أين يمكنني أخذ لقاح الإنفلونزا قرب {place}؟ هل هو مجاني لمن تجاوز 65؟",
                   "كيف أحجز موعدًا لابني في عيادة {place}؟"),
            "zh": ("{place}附近哪里可以打流感疫苗？65岁以上免费吗？",
                   "怎么给我儿子预约{place}诊所？"),
        },
        "praise": {
            "en": ("Huge thanks to the nurses at {place} hospital last night ❤️",),
            "ar": ("شكرًا جزيلًا لممرضات مستشفى {place} على ما فعلوه الليلة الماضية ❤️",),
            "zh": ("非常感谢昨晚{place}医院的护士们 ❤️",),
        },
        "rumour": {
            "en": ("People are saying the tap water is making kids sick at {place}, is that real?",),
            "ar": ("يقولون إن هناك مرضًا معديًا جديدًا في {place} والمستشفيات ممتلئة، هل هذا صحيح؟",),
            "zh": ("有人说{place}出现了新的传染病，医院都满了，是真的吗？",),
        },
        "emergency": {
            "en": ("My neighbour at {place} collapsed and the ambulance line is busy, what do I do?!",),
            "ar": ("جاري في {place} سقط مغشيًا عليه وخط الإسعاف مشغول، ماذا أفعل؟!",),
            "zh": ("{place}我邻居晕倒了，急救电话打不通，怎么办？！",),
        },
    },
    "water": {
        "complaint": {
            "en": ("No water in {place} since {time} ago. Nobody tells us anything 😡",),
            "ar": ("لا توجد مياه في {place} منذ {time} ولا أحد يخبرنا بشيء 😡",),
            "zh": ("{place}已经停水{time}了，也没人通知 😡",),
        },
        "question": {
            "en": ("When will the power come back in {place}? My fridge is full",),
            "ar": ("متى ستعود الكهرباء إلى {place}؟ الثلاجة ممتلئة",),
            "zh": ("{place}什么时候恢复供电？冰箱里全是东西",),
        },
        "praise": {
            "en": ("Crew fixed the burst pipe on {place} in under {time}. Impressive 💪",),
            "ar": ("الفريق أصلح الأنبوب المكسور في {place} في أقل من {time}، عمل رائع 💪",),
            "zh": ("维修队不到{time}就修好了{place}的爆管，厉害 💪",),
        },
        "rumour": {
            "en": ("Is it true the water in {place} is contaminated? Everyone's buying bottles",),
            "ar": ("هل صحيح أن مياه {place} ملوثة؟ الجميع يشتري المياه المعبأة",),
            "zh": ("{place}的自来水被污染了是真的吗？大家都在抢购瓶装水",),
        },
        "emergency": {
            "en": ("Electric cable down and sparking on the street at {place}! Kids nearby!",),
            "ar": ("كابل كهرباء ساقط ويطلق شرارات في شارع {place}! هناك أطفال قريبون!",),
            "zh": ("{place}街上电缆掉下来在冒火花！旁边有小孩！",),
        },
    },
    "housing": {
        "complaint": {
            "en": ("Mould everywhere in our flat at {place}, reported {number} times, nothing done",),
            "ar": ("العفن في كل مكان في شقتنا في {place}، أبلغنا {number} مرات ولم يحدث شيء",),
            "zh": ("我们在{place}的公屋到处发霉，报修{number}次了都没人管",),
        },
        "question": {
            "en": ("How long is the waiting list for family housing in {place} now?",),
            "ar": ("كم مدة قائمة الانتظار للسكن العائلي في {place} الآن؟",),
            "zh": ("现在{place}的家庭公屋要轮候多久？",),
        },
        "praise": {
            "en": ("The repair team came the same day to {place}. Thank you!",),
            "ar": ("فريق الصيانة جاء في نفس اليوم إلى {place}، شكرًا لكم!",),
            "zh": ("维修队当天就到了{place}，谢谢！",),
        },
        "rumour": {
            "en": ("Neighbours say the {place} blocks will be demolished and we'll be evicted?",),
            "ar": ("الجيران يقولون إن مباني {place} ستُهدم وسيتم إخلاؤنا؟",),
            "zh": ("邻居说{place}的楼要拆了，我们会被赶走？",),
        },
        "emergency": {
            "en": ("Big crack in the ceiling at {place} block {number} and it's getting wider",),
            "ar": ("شرخ كبير في السقف في مبنى {number} في {place} ويتسع بسرعة",),
            "zh": ("{place}第{number}座天花板裂了一大条缝，还在变大",),
        },
    },
    "police": {
        "complaint": {
            "en": ("Cars racing on {place} every night until 3am, nobody does anything",),
            "ar": ("سباقات سيارات في {place} كل ليلة حتى الثالثة فجرًا ولا أحد يتحرك",),
            "zh": ("{place}每晚飙车到凌晨三点，没人管",),
        },
        "question": {
            "en": ("How do I report a stolen bike online? It was taken at {place}",),
            "ar": ("كيف أبلغ عن دراجة مسروقة عبر الإنترنت؟ سُرقت في {place}",),
            "zh": ("自行车在{place}被偷了，怎么在网上报案？",),
        },
        "praise": {
            "en": ("Officers at {place} helped my lost dad get home safely. Thank you 🙏",),
            "ar": ("الشرطة في {place} ساعدوا والدي التائه على العودة إلى البيت، شكرًا 🙏",),
            "zh": ("{place}的警察帮我走失的父亲安全回家，谢谢 🙏",),
        },
        "rumour": {
            "en": ("Is it true there's a curfew in {place} tonight? My group chat says so",),
            "ar": ("هل صحيح أن هناك حظر تجول في {place} الليلة؟ هذا ما يقولونه في المجموعة",),
            "zh": ("听群里说今晚{place}宵禁，是真的吗？",),
        },
        "emergency": {
            "en": ("Someone is breaking into a shop at {place} right now!",),
            "ar": ("شخص يقتحم محلًا في {place} الآن!",),
            "zh": ("现在有人在{place}撬商店的门！",),
        },
    },
    "environment": {
        "complaint": {
            "en": ("Rubbish hasn't been collected in {place} for {time}, the smell is awful 🤢",),
            "ar": ("لم تُجمع القمامة في {place} منذ {time} والرائحة فظيعة 🤢",),
            "zh": ("{place}的垃圾{time}没人收了，臭死了 🤢",),
        },
        "question": {
            "en": ("Where can I recycle old batteries near {place}?",),
            "ar": ("أين يمكنني إعادة تدوير البطاريات القديمة قرب {place}؟",),
            "zh": ("{place}附近哪里可以回收旧电池？",),
        },
        "praise": {
            "en": ("The beach clean-up at {place} was amazing, well organised 🌊",),
            "ar": ("حملة تنظيف الشاطئ في {place} كانت رائعة ومنظمة 🌊",),
            "zh": ("{place}海滩清洁活动组织得真好 🌊",),
        },
        "rumour": {
            "en": ("Heard the factory near {place} is dumping chemicals in the sea at night?",),
            "ar": ("سمعت أن المصنع قرب {place} يرمي مواد كيميائية في البحر ليلًا؟",),
            "zh": ("听说{place}附近的工厂晚上往海里排化学品？",),
        },
        "emergency": {
            "en": ("Thick black smoke from a fire at the {place} dump, we can't breathe",),
            "ar": ("دخان أسود كثيف من حريق في مكب {place}، لا نستطيع التنفس",),
            "zh": ("{place}垃圾场着火冒黑烟，呛得喘不过气",),
        },
    },
    "education": {
        "complaint": {
            "en": ("{place} school still has no air conditioning, kids are fainting",),
            "ar": ("مدرسة {place} ما زالت بلا تكييف، والأطفال يُغمى عليهم",),
            "zh": ("{place}学校还是没有空调，孩子们都热晕了",),
        },
        "question": {
            "en": ("When does registration for grade 1 open? We just moved to {place}",),
            "ar": ("متى يبدأ التسجيل للصف الأول؟ انتقلنا حديثًا إلى {place}",),
            "zh": ("一年级什么时候开始报名？我们刚搬到{place}",),
        },
        "praise": {
            "en": ("The teachers at {place} school did an incredible job this term 🎓",),
            "ar": ("معلمو مدرسة {place} قاموا بعمل رائع هذا الفصل 🎓",),
            "zh": ("{place}学校的老师们这学期辛苦了，做得太好了 🎓",),
        },
        "rumour": {
            "en": ("Are schools really closing for {number} weeks? Everyone says so",),
            "ar": ("هل ستغلق المدارس فعلًا لمدة {number} أسابيع؟ الجميع يقول ذلك",),
            "zh": ("学校真的要停课{number}周吗？大家都这么说",),
        },
        "emergency": {
            "en": ("Gas smell in the {place} school building, the kids are still inside!",),
            "ar": ("رائحة غاز في مبنى مدرسة {place} والأطفال ما زالوا في الداخل!",),
            "zh": ("{place}学校楼里有煤气味，孩子们还在里面！",),
        },
    },
    "social": {
        "complaint": {
            "en": ("My disability payment is {number} days late and the helpline never answers",),
            "ar": ("إعانة الإعاقة متأخرة {number} يومًا وخط المساعدة لا يرد أبدًا",),
            "zh": ("我的残疾津贴晚了{number}天，热线一直没人接",),
        },
        "question": {
            "en": ("Can pensioners in {place} get help with electricity bills?",),
            "ar": ("هل يمكن للمتقاعدين في {place} الحصول على مساعدة في فواتير الكهرباء؟",),
            "zh": ("{place}的退休老人可以申请电费补助吗？",),
        },
        "praise": {
            "en": ("The caseworker at {place} centre treated my mum with real kindness 💐",),
            "ar": ("الأخصائية في مركز {place} عاملت والدتي بلطف حقيقي 💐",),
            "zh": ("{place}中心的社工对我妈妈特别好 💐",),
        },
        "rumour": {
            "en": ("Is the food allowance being cut for families in {place}?",),
            "ar": ("هل سيتم قطع بدل الغذاء عن العائلات في {place}؟",),
            "zh": ("{place}家庭的食品补贴要取消了吗？",),
        },
        "emergency": {
            "en": ("Elderly man sleeping outside at {place} in this cold, he needs help tonight",),
            "ar": ("رجل مسن ينام في العراء في {place} في هذا البرد، يحتاج مساعدة الليلة",),
            "zh": ("{place}有位老人这么冷的天睡在外面，今晚需要帮助",),
        },
    },
}

# Spam is the same whichever agency it is sent to.
SPAM: dict[str, tuple[str, ...]] = {
    "en": ("💰 Earn $5000 a week from home!!! DM me now 💰 bit.ly/x{number}",
           "Follow back? I follow everyone 🔥🔥🔥"),
    "ar": ("💰 اربح 5000 دولار أسبوعيًا من المنزل!!! راسلني الآن 💰",
           "تابعني وسأتابعك فورًا 🔥🔥🔥"),
    "zh": ("💰 在家月入五万！！！私信我 💰 加微信 x{number}",
           "互粉互赞，回关必回 🔥🔥🔥"),
}

PLACES: dict[str, tuple[str, ...]] = {
    "en": ("Harbour Road", "Old Market", "North Pier", "Palm Gardens", "Airport Link",
           "Coral Bay", "Hillside", "Central Square"),
    "ar": ("شارع الميناء", "السوق القديم", "الرصيف الشمالي", "حدائق النخيل", "طريق المطار",
           "خليج المرجان", "التلال", "الساحة المركزية"),
    "zh": ("海港路", "旧街市", "北码头", "棕榈花园", "机场连线", "珊瑚湾", "山边", "中央广场"),
}
TIMES: dict[str, tuple[str, ...]] = {
    "en": ("40 minutes", "an hour", "two hours", "three days"),
    "ar": ("40 دقيقة", "ساعة", "ساعتين", "ثلاثة أيام"),
    "zh": ("四十分钟", "一个小时", "两个小时", "三天"),
}

# A pool of residents: (user name, display name, language they usually write in).
CITIZENS: tuple[tuple[str, str, str], ...] = (
    ("sarah_j", "Sarah Johnson", "en"),
    ("mike_harbour", "Mike O'Brien", "en"),
    ("priya_k", "Priya Kapoor", "en"),
    ("tom_w", "Tom Walker", "en"),
    ("grace_a", "Grace Adeyemi", "en"),
    ("dan_lee", "Daniel Lee", "en"),
    ("ahmed_k", "أحمد خالد", "ar"),
    ("fatima_z", "فاطمة الزهراء", "ar"),
    ("yousef_h", "يوسف حسن", "ar"),
    ("mariam_s", "مريم سعيد", "ar"),
    ("omar_f", "عمر الفاروق", "ar"),
    ("noura_a", "نورة العلي", "ar"),
    ("karim_b", "Karim Benali", "ar"),
    ("wang_fang", "王芳", "zh"),
    ("li_wei", "李伟", "zh"),
    ("zhang_min", "张敏", "zh"),
    ("chen_jie", "陈杰", "zh"),
    ("liu_yang", "刘洋", "zh"),
    ("zhao_lei", "赵磊", "zh"),
    ("amy_chan", "Amy Chan 陈美玲", "zh"),
    ("rashid_m", "Rashid Malik", "en"),
    ("elena_p", "Elena Petrova", "en"),
    ("sami_n", "سامي نجار 🌴", "ar"),
    ("xiao_mei", "小美 🌸", "zh"),
)
