"""Reads of consultations.

Staff reads are scoped to the organisations the user may see (another agency's ids are a
404). Citizen reads go by slug and only find published consultations, and only published
comments and statements (plus a participant's own, with the moderator's reasons).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from townsquare.engagement.consultation_models import (
    Comment,
    Consultation,
    ConsultationSection,
    ConsultationStatus,
    ModerationDecision,
    ModerationState,
    Participant,
    Statement,
    StatementVote,
    Support,
)
from townsquare.organisations.selectors import organisations_visible_to


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise Http404("Not found") from exc


def consultations_visible_to(user: Any) -> QuerySet[Consultation]:
    return Consultation.objects.filter(
        organisation__in=organisations_visible_to(user)).select_related("organisation")


def consultation_get_for_user(user: Any, consultation_id: Any) -> Consultation:
    found = consultations_visible_to(user).filter(pk=_int(consultation_id)).first()
    if found is None:
        raise Http404("No such consultation")
    return found


def _scoped(model: Any, user: Any, pk: Any, path: str) -> Any:
    found = model.objects.filter(**{
        "pk": _int(pk), f"{path}__organisation__in": organisations_visible_to(user)}).first()
    if found is None:
        raise Http404("Not found")
    return found


def section_get_for_user(user: Any, section_id: Any) -> ConsultationSection:
    return _scoped(ConsultationSection, user, section_id, "consultation")


def comment_get_for_user(user: Any, comment_id: Any) -> Comment:
    return _scoped(Comment, user, comment_id, "consultation")


def statement_get_for_user(user: Any, statement_id: Any) -> Statement:
    return _scoped(Statement, user, statement_id, "consultation")


def decision_get_for_user(user: Any, decision_id: Any) -> ModerationDecision:
    return _scoped(ModerationDecision, user, decision_id, "comment__consultation")


def public_consultations() -> list[Consultation]:
    return list(Consultation.objects.filter(status=ConsultationStatus.PUBLISHED)
                .select_related("organisation").order_by("-comments_open_at"))


def public_consultation(slug: str) -> Consultation:
    found = Consultation.objects.filter(
        slug=slug, status=ConsultationStatus.PUBLISHED).select_related("organisation").first()
    if found is None:
        raise Http404("No such consultation")
    return found


@dataclass
class CommentNode:
    comment: Comment
    support: int = 0
    oppose: int = 0
    my_stance: int = 0
    replies: list[CommentNode] = field(default_factory=list)

    @property
    def form_key(self) -> str:
        return f"r{self.comment.pk}"


@dataclass
class SectionView:
    section: ConsultationSection | None  # None: the proposal as a whole
    comments: list[CommentNode]
    support: int = 0
    oppose: int = 0
    my_stance: int = 0

    @property
    def form_key(self) -> str:
        return f"s{self.section.pk}" if self.section else "whole"


def _tallies(rows: QuerySet[Support], field_name: str) -> dict[int, tuple[int, int]]:
    counts = rows.values(field_name).annotate(
        up=Count("id", filter=Q(stance=1)), down=Count("id", filter=Q(stance=-1)))
    return {row[field_name]: (row["up"], row["down"]) for row in counts}


def consultation_document(consultation: Consultation, voter_key: str = "") -> list[SectionView]:
    """The proposal as a whole, then each section: published comments as threads, with
    support and opposition counts (and this person's own stance)."""
    comments = list(consultation.comments.filter(state=ModerationState.PUBLISHED)
                    .order_by("created_at", "id"))
    supports = consultation.supports.all()
    by_comment = _tallies(supports.filter(comment__isnull=False), "comment")
    by_section = _tallies(supports.filter(section__isnull=False), "section")
    mine: dict[tuple[str, int], int] = {}
    if voter_key:
        for comment_id, section_id, stance in supports.filter(voter_key=voter_key).values_list(
                "comment", "section", "stance"):
            mine[("c", comment_id) if comment_id else ("s", section_id)] = stance
    nodes = {c.pk: CommentNode(c, *by_comment.get(c.pk, (0, 0)), mine.get(("c", c.pk), 0))
             for c in comments}
    roots: dict[int | None, list[CommentNode]] = defaultdict(list)
    for comment in comments:
        node = nodes[comment.pk]
        if comment.parent_id and comment.parent_id in nodes:
            nodes[comment.parent_id].replies.append(node)
        elif not comment.parent_id:
            roots[comment.section_id].append(node)
    views = [SectionView(None, roots[None])]
    for section in consultation.sections.order_by("position", "id"):
        up, down = by_section.get(section.pk, (0, 0))
        views.append(SectionView(section, roots[section.pk], up, down,
                                 mine.get(("s", section.pk), 0)))
    return views


def participant_own_comments(participant: Participant) -> list[Comment]:
    """The participant's comments not (yet) published, with the moderator's decisions."""
    return list(participant.comments.exclude(state=ModerationState.PUBLISHED)
                .prefetch_related("decisions").select_related("section"))


def published_statements(consultation: Consultation, voter_key: str = ""
                         ) -> list[tuple[Statement, int | None]]:
    """Statements to vote on, each with this person's vote (None: not voted yet)."""
    votes = dict(StatementVote.objects.filter(consultation=consultation, voter_key=voter_key)
                 .values_list("statement", "vote")) if voter_key else {}
    return [(s, votes.get(s.pk)) for s in consultation.statements.filter(
        state=ModerationState.PUBLISHED).order_by("created_at", "id")]


def statement_votes(consultation: Consultation) -> list[tuple[str, int, int]]:
    """Every vote on a published statement, as the opinion-group analysis takes them."""
    return list(StatementVote.objects.filter(
        consultation=consultation, statement__state=ModerationState.PUBLISHED
    ).values_list("voter_key", "statement_id", "vote"))


def moderation_queue(consultation: Consultation) -> dict[str, Any]:
    return {
        "pending": list(consultation.comments.filter(state=ModerationState.PENDING)
                        .select_related("section", "parent").order_by("created_at")),
        # Post-moderation: what went out unseen, newest first, for review.
        "recent": list(consultation.comments.filter(state=ModerationState.PUBLISHED)
                       .select_related("section").order_by("-created_at")[:50]),
        "appeals": list(ModerationDecision.objects.filter(
            comment__consultation=consultation, appealed_at__isnull=False,
            appeal_upheld__isnull=True).select_related("comment", "decided_by")),
        "statements": list(consultation.statements.filter(state=ModerationState.PENDING)),
    }


def participation_summary(consultation: Consultation) -> dict[str, Any]:
    comments = consultation.comments.aggregate(
        total=Count("id"), published=Count("id", filter=Q(state=ModerationState.PUBLISHED)),
        pending=Count("id", filter=Q(state=ModerationState.PENDING)),
        rejected=Count("id", filter=Q(state=ModerationState.REJECTED)),
        organisations=Count("id", filter=~Q(organisation_name="")),
        replies=Count("id", filter=Q(parent__isnull=False)))
    per_section = list(consultation.sections.annotate(
        comment_count=Count("comments", filter=Q(comments__state=ModerationState.PUBLISHED),
                            distinct=True),
        # Distinct counts: the two joins would otherwise multiply each other's rows.
        support=Count("supports", filter=Q(supports__stance=1), distinct=True),
    ).order_by("position", "id"))
    return {
        "participants": consultation.participants.count(),
        "comments": comments,
        "per_section": per_section,
        "supports": consultation.supports.count(),
        "statements": consultation.statements.filter(state=ModerationState.PUBLISHED).count(),
        "voters": StatementVote.objects.filter(consultation=consultation)
        .values("voter_key").distinct().count(),
        "votes": StatementVote.objects.filter(consultation=consultation).count(),
        "formal_responses": consultation.formal_responses.count(),
        "organisation_responses": consultation.formal_responses.exclude(
            organisation_name="").count(),
        "opt_ins": consultation.opt_ins.count(),
    }
