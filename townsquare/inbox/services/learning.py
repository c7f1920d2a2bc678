"""Training the learned router and the topic classifier, and staff corrections of what the
language models read from a message. Every staff action is audited."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from townsquare.core.services import audit_record
from townsquare.inbox import learned_router
from townsquare.inbox.learned_router import TrainingRefused
from townsquare.inbox.models import (
    Direction,
    Message,
    MessageCorrection,
    RoutingExample,
    TrainedClassifier,
)
from townsquare.inbox.rules import check_can_work_in
from townsquare.nlp.topics import DEFAULT_TAXONOMY
from townsquare.organisations.models import Organisation, Role, User
from townsquare.organisations.selectors import roles_of

SENTIMENTS = {
    "negative": gettext_lazy("Negative"),
    "neutral": gettext_lazy("Neutral"),
    "positive": gettext_lazy("Positive"),
}
# Names of the taxonomy's topics (nlp.topics.DEFAULT_TAXONOMY) in the console's languages.
TOPIC_NAMES = {
    "emergencies": gettext_lazy("Emergencies"),
    "transport": gettext_lazy("Transport"),
    "roads": gettext_lazy("Roads"),
    "water": gettext_lazy("Water"),
    "electricity": gettext_lazy("Electricity"),
    "waste": gettext_lazy("Waste"),
    "health": gettext_lazy("Health"),
    "education": gettext_lazy("Education"),
    "housing": gettext_lazy("Housing"),
    "benefits-and-tax": gettext_lazy("Benefits and tax"),
    "public-safety": gettext_lazy("Public safety"),
    "documents-and-permits": gettext_lazy("Documents and permits"),
}
MAX_EXAMPLE_CHARS = 5000


def taxonomy_topics() -> list[str]:
    """The slugs of the government's taxonomy, in its order."""
    return [topic.slug for topic in DEFAULT_TAXONOMY.topics]


def topic_name(slug: str) -> str:
    return str(TOPIC_NAMES.get(slug, slug))


# --- training ---------------------------------------------------------------------------

@dataclass(frozen=True)
class TrainingReport:
    government: Organisation
    kind: str
    classifier: TrainedClassifier

    def lines(self) -> list[str]:
        c = self.classifier
        accuracy = ("—" if c.heldout_accuracy is None
                    else f"{100 * c.heldout_accuracy:.1f} %")
        out = [(f"{self.government}: {c.get_kind_display()} trained on {c.example_count} "
                f"examples; held-out accuracy {accuracy}")]
        names: dict[str, str] = {}
        if self.kind == TrainedClassifier.Kind.ROUTER:
            names = {str(o.pk): str(o) for o in
                     Organisation.objects.filter(pk__in=[int(x) for x in c.labels])}
        for label, count in c.label_counts.items():
            out.append(f"  {names.get(label, label)}: {count}")
        return out


def check_can_retrain(user: User, government: Organisation) -> None:
    """Administrators of the government's communications office retrain its classifiers."""
    offices = Organisation.objects.filter(path__startswith=government.path,
                                          sees_all_organisations=True, is_active=True)
    if not any(Role.ADMINISTRATOR in roles_of(user, office) for office in offices):
        raise PermissionDenied("Only administrators of the communications office retrain "
                               "the router.")


def governments_retrainable_by(user: User) -> list[Organisation]:
    governments = Organisation.objects.filter(parent__isnull=True, is_active=True)
    out = []
    for government in governments:
        try:
            check_can_retrain(user, government)
        except PermissionDenied:
            continue
        out.append(government)
    return out


def _store(*, government: Organisation, kind: str, trained: learned_router.Trained,
           actor: User | None) -> TrainedClassifier:
    with transaction.atomic():
        # Lock the old active row so two retrains one after the other, not both at once.
        list(TrainedClassifier.objects.select_for_update()
             .filter(government=government, kind=kind, is_active=True))
        TrainedClassifier.objects.filter(government=government, kind=kind,
                                         is_active=True).update(is_active=False)
        row = TrainedClassifier.objects.create(
            government=government, kind=kind, is_active=True, trained_at=timezone.now(),
            trained_by=actor, example_count=trained.example_count,
            heldout_accuracy=trained.heldout_accuracy,
            labels=list(trained.classifier.labels), label_counts=trained.label_counts,
            weights=trained.classifier.to_bytes(),
        )
        audit_record(
            actor=actor, action=f"inbox.{kind}_trained", organisation=government, target=row,
            details={"examples": row.example_count, "accuracy": row.heldout_accuracy},
            actor_label="" if actor else "system",
        )
    return row


def router_train(*, government: Organisation, actor: User | None = None) -> TrainingReport:
    """Train the government's router from its examples and staff transfers.

    Raises ``TrainingRefused`` (the active router stays) when there is too little to learn.
    """
    if actor is not None:
        check_can_retrain(actor, government)
    texts, labels = learned_router.router_examples(government)
    trained = learned_router.train(texts, labels)
    row = _store(government=government, kind=TrainedClassifier.Kind.ROUTER, trained=trained,
                 actor=actor)
    return TrainingReport(government=government, kind=row.kind, classifier=row)


def topics_train(*, government: Organisation, actor: User | None = None) -> TrainingReport:
    """Train the government's topic classifier from staff topic corrections."""
    if actor is not None:
        check_can_retrain(actor, government)
    texts, labels = learned_router.topic_examples(government, set(taxonomy_topics()))
    trained = learned_router.train(texts, labels)
    row = _store(government=government, kind=TrainedClassifier.Kind.TOPICS, trained=trained,
                 actor=actor)
    return TrainingReport(government=government, kind=row.kind, classifier=row)


def classifiers_retrain_all() -> dict[str, str]:
    """Every government's router and topic classifier (the nightly task); what happened
    to each, refusals included (their current models stay)."""
    outcome = {}
    for government in Organisation.objects.filter(parent__isnull=True, is_active=True):
        for name, trainer in (("router", router_train), ("topics", topics_train)):
            try:
                report = trainer(government=government)
            except TrainingRefused as exc:
                outcome[f"{government.slug}:{name}"] = f"refused: {exc}"
            else:
                outcome[f"{government.slug}:{name}"] = (
                    f"trained on {report.classifier.example_count} examples")
    return outcome


def routing_examples_add(*, government: Organisation, examples: list[tuple[str, str, str]],
                         source: str) -> int:
    """Add labelled examples (organisation slug, language, text); returns how many were new.

    Unknown slugs and organisations outside the government are refused with the list of
    them, and nothing is added.
    """
    slugs = {slug for slug, _, _ in examples}
    found = {o.slug: o for o in Organisation.objects.filter(
        slug__in=slugs, path__startswith=government.path)}
    missing = sorted(slugs - set(found))
    if missing:
        raise ValidationError(_("These organisations are not part of %(government)s: "
                                "%(slugs)s.") % {"government": government,
                                                  "slugs": ", ".join(missing)})
    added = 0
    with transaction.atomic():
        for slug, language, raw in examples:
            text = raw.strip()
            if not text or len(text) > MAX_EXAMPLE_CHARS:
                raise ValidationError(_("Each example needs a text of at most %(max)d "
                                        "characters.") % {"max": MAX_EXAMPLE_CHARS})
            _row, created = RoutingExample.objects.get_or_create(
                government=government, organisation=found[slug], text=text,
                defaults={"language": language[:16], "source": source[:40]},
            )
            added += int(created)
    return added


# --- staff corrections ------------------------------------------------------------------

@transaction.atomic
def message_correct(*, actor: User, message: Message, sentiment: str = "",
                    topic: str = "") -> list[MessageCorrection]:
    """Correct a citizen message's sentiment and/or topic (empty: leave as it is).

    Each change is stored with who, when, the old and the new value, and audited; a
    value equal to the current one changes nothing.
    """
    message = Message.objects.select_for_update().select_related(
        "conversation__organisation").get(pk=message.pk)
    check_can_work_in(actor, message.conversation.organisation)
    if message.direction != Direction.INBOUND:
        raise ValidationError(_("Only citizens' messages have a sentiment and a topic."),
                              code="not_inbound")
    if sentiment and sentiment not in SENTIMENTS:
        raise ValidationError({"sentiment": _("Choose negative, neutral or positive.")})
    if topic and topic not in taxonomy_topics():
        raise ValidationError({"topic": _("Choose a topic from the list.")})
    if not sentiment and not topic:
        raise ValidationError(_("Choose a sentiment or a topic to correct."), code="empty")
    made = []
    for field, value in ((MessageCorrection.Field.SENTIMENT, sentiment),
                         (MessageCorrection.Field.TOPIC, topic)):
        old = getattr(message, field)
        if not value or value == old:
            continue
        made.append(MessageCorrection.objects.create(
            message=message, field=field, old_value=old, new_value=value, by=actor))
        setattr(message, field, value)
    if made:
        message.save(update_fields=[c.field for c in made])
        audit_record(
            actor=actor, action="message.correct",
            organisation=message.conversation.organisation, target=message.conversation,
            details={"message": message.pk,
                     **{c.field: {"from": c.old_value, "to": c.new_value} for c in made}},
        )
    return made


def learned_topic(*, organisation: Organisation, text: str, keyword_topic: str) -> str:
    """The topic to keep for a new message: the learned classifier's when it is confident
    enough, else the keyword topic."""
    found = learned_router.topic_suggest(organisation=organisation, text=text)
    if found is not None and found[1] >= settings.INBOX_ROUTER_THRESHOLD:
        return found[0]
    return keyword_topic
