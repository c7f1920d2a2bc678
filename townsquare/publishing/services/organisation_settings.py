"""An organisation's publishing settings: approval chain, campaigns, saved hashtags, own
words to avoid and post templates."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from townsquare.core.services import audit_record
from townsquare.core.text import BIDI_CONTROLS, validate_clean_text
from townsquare.organisations.models import Organisation, Role, User
from townsquare.organisations.selectors import roles_of
from townsquare.publishing.models import (
    LANGUAGE_CHOICES,
    ApprovalPolicy,
    AvoidWord,
    Campaign,
    PostTemplate,
    SavedHashtag,
)

# An agency's own list stays short enough to curate by hand and to check as the author types.
MAX_AVOID_WORDS = 300
MAX_AVOID_WORD_CHARS = 100
MAX_TEMPLATES = 200
COMPOSING = frozenset({Role.ADMINISTRATOR, Role.EDITOR})

# Roles that may approve at all (responders and analysts never review posts).
APPROVING_ROLES = (Role.ADMINISTRATOR, Role.APPROVER, Role.EDITOR)


def check_administers(actor: User, organisation: Organisation) -> None:
    if Role.ADMINISTRATOR not in roles_of(actor, organisation):
        raise PermissionDenied


@transaction.atomic
def approval_policy_set(
    *,
    actor: User,
    organisation: Organisation,
    levels: int,
    level_one_roles: Sequence[str],
    level_two_roles: Sequence[str] = (),
) -> ApprovalPolicy:
    check_administers(actor, organisation)
    errors: dict[str, list[str]] = {}
    if levels not in (0, 1, 2):
        errors.setdefault("levels", []).append(_("Choose none, one or two levels."))
    for field, roles, needed in (("level_one_roles", level_one_roles, levels >= 1),
                                 ("level_two_roles", level_two_roles, levels >= 2)):
        if any(role not in APPROVING_ROLES for role in roles):
            errors.setdefault(field, []).append(_("Only administrators, approvers and "
                                                  "editors can approve posts."))
        if needed and not roles:
            errors.setdefault(field, []).append(_("Choose who approves at this level."))
    if errors:
        raise ValidationError(errors)
    policy, _created = ApprovalPolicy.objects.select_for_update().get_or_create(
        organisation=organisation
    )
    policy.levels = levels
    policy.level_one_roles = list(level_one_roles) if levels >= 1 else []
    policy.level_two_roles = list(level_two_roles) if levels >= 2 else []
    policy.save()
    audit_record(actor=actor, action="publishing.policy_set", organisation=organisation,
                 target=policy, details={"levels": levels, "level_one": policy.level_one_roles,
                                         "level_two": policy.level_two_roles})
    return policy


@transaction.atomic
def campaign_create(*, actor: User, organisation: Organisation, name: str,
                    description: str = "") -> Campaign:
    if not roles_of(actor, organisation) & {Role.ADMINISTRATOR, Role.EDITOR}:
        raise PermissionDenied
    name = name.strip()
    validate_clean_text(name)
    tag = slugify(name, allow_unicode=True)[:60]
    if not name or not tag:
        raise ValidationError({"name": _("Give the campaign a name.")})
    if Campaign.objects.filter(organisation=organisation, tag=tag).exists():
        raise ValidationError({"name": _("This organisation already has that campaign.")})
    campaign = Campaign.objects.create(organisation=organisation, name=name[:120], tag=tag,
                                       description=description.strip()[:1000])
    audit_record(actor=actor, action="publishing.campaign_create", organisation=organisation,
                 target=campaign)
    return campaign


@transaction.atomic
def hashtag_save(*, actor: User, organisation: Organisation, tag: str) -> SavedHashtag:
    if not roles_of(actor, organisation) & {Role.ADMINISTRATOR, Role.EDITOR}:
        raise PermissionDenied
    tag = tag.strip().lstrip("#").strip()
    if not tag or any(ch.isspace() for ch in tag) or len(tag) > 100:
        raise ValidationError({"tag": _("A hashtag is one word of at most 100 characters.")})
    validate_clean_text(tag)
    saved, created = SavedHashtag.objects.get_or_create(organisation=organisation, tag=tag)
    if created:
        audit_record(actor=actor, action="publishing.hashtag_save", organisation=organisation,
                     target=saved)
    return saved


def _clean_avoid_word(word: str) -> str:
    """One entry as stored: trimmed, inner spacing collapsed; bad characters refused."""
    word = " ".join(word.split())
    validate_clean_text(word)
    if any(ch in BIDI_CONTROLS for ch in word):
        # Invisible direction controls would make an entry look like another one.
        raise ValidationError(_("“%(word)s” contains text-direction control characters.")
                              % {"word": word.translate({ord(c): None for c in BIDI_CONTROLS})})
    if len(word) > MAX_AVOID_WORD_CHARS:
        raise ValidationError(_("“%(word)s…” is longer than %(limit)d characters.")
                              % {"word": word[:20], "limit": MAX_AVOID_WORD_CHARS})
    if not any(ch.isalnum() for ch in word):
        raise ValidationError(_("“%(word)s” has no letters or digits.") % {"word": word})
    return word


@transaction.atomic
def avoid_words_set(*, actor: User, organisation: Organisation,
                    words: Sequence[str]) -> list[AvoidWord]:
    """Replace the organisation's own words to avoid (administrators only).

    The whole list is checked before anything is stored, so a bad entry loses nothing.
    """
    check_administers(actor, organisation)
    errors: list[str] = []
    cleaned: list[str] = []
    seen: dict[str, str] = {}
    for raw in words:
        if not raw.strip():
            continue
        try:
            word = _clean_avoid_word(raw)
        except ValidationError as exc:
            errors.extend(exc.messages)
            continue
        key = word.casefold()
        if key in seen:
            errors.append(_("“%(word)s” is in the list twice.") % {"word": word})
            continue
        seen[key] = word
        cleaned.append(word)
    if len(cleaned) > MAX_AVOID_WORDS:
        errors.append(_("An organisation can list at most %(limit)d words; this list has "
                        "%(count)d.") % {"limit": MAX_AVOID_WORDS, "count": len(cleaned)})
    if errors:
        raise ValidationError({"words": errors})
    before = sorted(AvoidWord.objects.filter(organisation=organisation)
                    .values_list("word", flat=True))
    AvoidWord.objects.filter(organisation=organisation).delete()
    stored = AvoidWord.objects.bulk_create(
        [AvoidWord(organisation=organisation, word=word) for word in cleaned]
    )
    audit_record(actor=actor, action="publishing.avoid_words_set", organisation=organisation,
                 target=organisation, details={"before": before, "after": sorted(cleaned)})
    return stored


def _check_composes(actor: User, organisation: Organisation) -> None:
    if not roles_of(actor, organisation) & COMPOSING:
        raise PermissionDenied


def _validated_template(name: str, language: str, text: str) -> tuple[str, str]:
    errors: dict[str, list[str]] = {}
    name = " ".join(name.split())
    if not name or len(name) > 120:
        errors.setdefault("name", []).append(_("Give the template a name of at most 120 "
                                               "characters."))
    if language not in dict(LANGUAGE_CHOICES):
        errors.setdefault("language", []).append(_("Choose English, Arabic or Chinese."))
    if not text.strip():
        errors.setdefault("text", []).append(_("Write the template's text."))
    elif len(text) > 10_000:
        errors.setdefault("text", []).append(_("A template holds at most 10,000 characters."))
    for field, value in (("name", name), ("text", text)):
        try:
            validate_clean_text(value)
        except ValidationError as exc:
            errors.setdefault(field, []).extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    return name, text.strip()


@transaction.atomic
def post_template_create(*, actor: User, organisation: Organisation, name: str, language: str,
                         text: str) -> PostTemplate:
    _check_composes(actor, organisation)
    name, text = _validated_template(name, language, text)
    if PostTemplate.objects.filter(organisation=organisation).count() >= MAX_TEMPLATES:
        raise ValidationError(_("An organisation can keep at most %(limit)d templates.")
                              % {"limit": MAX_TEMPLATES})
    template = PostTemplate.objects.create(organisation=organisation, name=name,
                                           language=language, text=text)
    audit_record(actor=actor, action="publishing.template_create", organisation=organisation,
                 target=template)
    return template


@transaction.atomic
def post_template_update(*, actor: User, template: PostTemplate, name: str, language: str,
                         text: str) -> PostTemplate:
    _check_composes(actor, template.organisation)
    name, text = _validated_template(name, language, text)
    template.name, template.language, template.text = name, language, text
    template.save()
    audit_record(actor=actor, action="publishing.template_update",
                 organisation=template.organisation, target=template)
    return template


@transaction.atomic
def post_template_delete(*, actor: User, template: PostTemplate) -> None:
    _check_composes(actor, template.organisation)
    audit_record(actor=actor, action="publishing.template_delete",
                 organisation=template.organisation, target=template,
                 details={"name": template.name})
    template.delete()
