"""Writing posts: language versions, accounts, media, and the fitted variant per account.

Every change of what would be published (text, media, accounts, a hand-edited variant)
goes through ``_content_changed``: it bumps the post's content version and, when the
post was already in review or approved, sends it back to review. Approvals record the
version they approved, so an edit that races an approval can never be published as
approved.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from townsquare.channels.adapters.base import Capabilities
from townsquare.channels.adapters.registry import adapter_class
from townsquare.channels.models import Account, AccountStatus
from townsquare.core.services import audit_record
from townsquare.core.text import validate_clean_text
from townsquare.media.models import MediaAsset
from townsquare.organisations.models import Organisation, User
from townsquare.organisations.selectors import organisations_visible_to
from townsquare.publishing.models import (
    EDITABLE_STATES,
    LANGUAGE_CHOICES,
    Campaign,
    LanguageVersion,
    Post,
    PostState,
    Variant,
    VariantState,
)
from townsquare.publishing.rules import can_compose, policy_for, publishable_accounts
from townsquare.publishing.text_fit import fit_text, network_length

MAX_TEXT_LENGTH = 10_000
LANGUAGES = tuple(code for code, _label in LANGUAGE_CHOICES)


@dataclass
class VersionInput:
    """What the author wrote for one language."""

    text: str
    accounts: Sequence[Account] = ()
    media: Sequence[MediaAsset] = field(default_factory=tuple)


def capabilities_of(account: Account) -> Capabilities:
    return adapter_class(account.network).capabilities


def check_can_compose(actor: User, organisation: Organisation) -> None:
    if not can_compose(actor, organisation):
        raise PermissionDenied


def _validate_versions(
    actor: User, organisation: Organisation, versions: Mapping[str, VersionInput]
) -> None:
    errors: dict[str, list[str]] = {}
    allowed_accounts = set(publishable_accounts(actor).values_list("pk", flat=True))
    visible_orgs = set(organisations_visible_to(actor).values_list("pk", flat=True))
    if not any(v.text.strip() for v in versions.values()):
        errors.setdefault("text", []).append(_("Write the post in at least one language."))
    for language, version in versions.items():
        if language not in LANGUAGES:
            errors.setdefault("language", []).append(
                _("%(language)s is not a language posts can be written in.")
                % {"language": language}
            )
            continue
        key = f"text_{language}"
        if len(version.text) > MAX_TEXT_LENGTH:
            errors.setdefault(key, []).append(
                _("The text is %(length)d characters long; the most is %(max)d.")
                % {"length": len(version.text), "max": MAX_TEXT_LENGTH}
            )
        try:
            validate_clean_text(version.text)
        except ValidationError as exc:
            errors.setdefault(key, []).extend(exc.messages)
        if version.text.strip() and not version.accounts:
            errors.setdefault(f"accounts_{language}", []).append(
                _("Choose at least one account to publish this language version.")
            )
        if version.accounts and not version.text.strip():
            errors.setdefault(key, []).append(
                _("Write the text for the accounts chosen for this language.")
            )
        for account in version.accounts:
            if account.pk not in allowed_accounts:
                errors.setdefault(f"accounts_{language}", []).append(
                    _("You may not publish to %(handle)s.") % {"handle": account.handle}
                )
        for asset in version.media:
            if asset.organisation_id not in visible_orgs:
                errors.setdefault(f"media_{language}", []).append(_("No such media file."))
    if errors:
        raise ValidationError(errors)


def _fit(text: str, account: Account) -> tuple[list[str], list[str]]:
    result = fit_text(text, capabilities_of(account))
    return list(result.parts), list(result.problems)


def _sync_variants(
    post: Post, version: LanguageVersion, accounts: Iterable[Account], text_changed: bool
) -> None:
    wanted = {a.pk: a for a in accounts}
    for variant in version.variants.select_related("account"):
        if variant.account_id not in wanted:
            variant.delete()
    existing = {v.account_id: v for v in version.variants.all()}
    for account_id, account in wanted.items():
        found = existing.get(account_id)
        if found is None:
            parts, problems = _fit(version.text, account)
            Variant.objects.create(
                version=version,
                account=account,
                parts=parts,
                fit_problems=problems,
                content_version=post.content_version,
            )
            continue
        variant = found
        if variant.edited:
            # A person's hand edit is never thrown away; they are told the source moved on.
            variant.source_changed = variant.source_changed or text_changed
        else:
            variant.parts, variant.fit_problems = _fit(version.text, account)
        variant.content_version = post.content_version
        variant.save(
            update_fields=[
                "parts",
                "fit_problems",
                "source_changed",
                "content_version",
                "updated_at",
            ]
        )


def _content_changed(post: Post) -> None:
    """New content: a new version; anything approved must be approved again."""
    post.content_version += 1
    if post.state in (PostState.IN_REVIEW, PostState.APPROVED, PostState.SCHEDULED):
        if policy_for(post.organisation).levels == 0:
            post.approved_version = post.content_version
        else:
            post.state = PostState.IN_REVIEW
    Variant.objects.filter(version__post=post).update(content_version=post.content_version)


def _write_versions(post: Post, versions: Mapping[str, VersionInput]) -> None:
    for language in LANGUAGES:
        given = versions.get(language)
        current = post.versions.filter(language=language).first()
        if given is None or not given.text.strip():
            if current is not None:
                current.delete()
            continue
        text_changed = current is None or current.text != given.text
        if current is None:
            current = LanguageVersion.objects.create(post=post, language=language, text=given.text)
        elif text_changed:
            current.text = given.text
            current.save(update_fields=["text", "updated_at"])
        current.accounts.set(given.accounts)
        current.media.set(given.media)
        _sync_variants(post, current, given.accounts, text_changed)


@transaction.atomic
def post_create(
    *,
    actor: User,
    organisation: Organisation,
    title: str,
    versions: Mapping[str, VersionInput],
    campaign: Campaign | None = None,
) -> Post:
    check_can_compose(actor, organisation)
    _validate_versions(actor, organisation, versions)
    if campaign is not None and campaign.organisation_id != organisation.pk:
        raise ValidationError({"campaign": _("This campaign belongs to another organisation.")})
    post = Post.objects.create(
        organisation=organisation,
        author=actor,
        title=(title.strip() or _first_line(versions))[:200],
        campaign=campaign,
    )
    _write_versions(post, versions)
    _store_score(post)
    audit_record(actor=actor, action="post.create", organisation=organisation, target=post)
    return post


def _store_score(post: Post) -> None:
    from townsquare.publishing.plain import post_plain_language_score

    post.plain_language_score = post_plain_language_score(post)
    post.save(update_fields=["plain_language_score"])


def _first_line(versions: Mapping[str, VersionInput]) -> str:
    for version in versions.values():
        if version.text.strip():
            return version.text.strip().splitlines()[0][:80]
    return "—"


def _differs(post: Post, versions: Mapping[str, VersionInput]) -> bool:
    """True when what would be published differs from what is stored."""
    stored = {v.language: v for v in post.versions.prefetch_related("accounts", "media")}
    wanted = {lang: v for lang, v in versions.items() if v.text.strip()}
    if set(stored) != set(wanted):
        return True
    for language, given in wanted.items():
        current = stored[language]
        if (
            current.text != given.text
            or {a.pk for a in current.accounts.all()} != {a.pk for a in given.accounts}
            or {m.pk for m in current.media.all()} != {m.pk for m in given.media}
        ):
            return True
    return False


def lock_post(post: Post) -> Post:
    """The post's row, locked for the rest of the transaction (fresh from the database)."""
    return Post.objects.select_for_update().select_related("organisation").get(pk=post.pk)


def _check_expected(post: Post, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != post.content_version:
        raise ValidationError(
            _(
                "Someone changed this post while you were working on it. "
                "Reload the page to see the latest version; your text is shown below."
            )
        )


@transaction.atomic
def post_update(
    *,
    actor: User,
    post: Post,
    title: str,
    versions: Mapping[str, VersionInput],
    campaign: Campaign | None = None,
    expected_version: int | None = None,
) -> Post:
    post = lock_post(post)
    check_can_compose(actor, post.organisation)
    if post.state not in EDITABLE_STATES:
        raise ValidationError(_("This post can no longer be changed here."))
    _check_expected(post, expected_version)
    _validate_versions(actor, post.organisation, versions)
    previous_state = post.state
    post.title = (title.strip() or post.title)[:200]
    post.campaign = campaign
    if _differs(post, versions):
        _content_changed(post)
        post.save()
        _write_versions(post, versions)
        _store_score(post)
    else:
        post.save(update_fields=["title", "campaign", "updated_at"])
    audit_record(
        actor=actor,
        action="post.update",
        organisation=post.organisation,
        target=post,
        details={
            "version": post.content_version,
            "state_before": previous_state,
            "state": post.state,
        },
    )
    return post


@transaction.atomic
def variant_edit(
    *, actor: User, variant: Variant, parts: Sequence[str], expected_version: int | None = None
) -> Variant:
    """A person's own wording for one account (each part within the network's limit)."""
    post = lock_post(variant.version.post)
    check_can_compose(actor, post.organisation)
    if post.state not in EDITABLE_STATES:
        raise ValidationError(_("This post can no longer be changed here."))
    _check_expected(post, expected_version)
    cleaned = [p.strip() for p in parts if p.strip()]
    if not cleaned:
        raise ValidationError({"parts": _("A variant needs some text.")})
    capabilities = capabilities_of(variant.account)
    errors = []
    if len(cleaned) > 1 and not capabilities.threads:
        errors.append(_("This network has no threads: write one part only."))
    for number, part in enumerate(cleaned, 1):
        validate_clean_text(part)
        length = network_length(part, capabilities)
        if length > capabilities.text.max_length:
            errors.append(
                _("Part %(number)d is %(length)d long; this network allows %(max)d.")
                % {"number": number, "length": length, "max": capabilities.text.max_length}
            )
    if errors:
        raise ValidationError({"parts": errors})
    _content_changed(post)
    post.save()
    variant.refresh_from_db()
    variant.parts = cleaned
    variant.edited = True
    variant.source_changed = False
    variant.fit_problems = []
    variant.save(update_fields=["parts", "edited", "source_changed", "fit_problems", "updated_at"])
    audit_record(
        actor=actor,
        action="post.variant_edit",
        organisation=post.organisation,
        target=post,
        details={"variant": variant.pk, "version": post.content_version},
    )
    return variant


@transaction.atomic
def variant_reset(*, actor: User, variant: Variant) -> Variant:
    """Throw away a hand edit: fit the language version's text again."""
    post = lock_post(variant.version.post)
    check_can_compose(actor, post.organisation)
    if post.state not in EDITABLE_STATES:
        raise ValidationError(_("This post can no longer be changed here."))
    _content_changed(post)
    post.save()
    variant.refresh_from_db()
    variant.parts, variant.fit_problems = _fit(variant.version.text, variant.account)
    variant.edited = variant.source_changed = False
    variant.save(update_fields=["parts", "fit_problems", "edited", "source_changed", "updated_at"])
    audit_record(
        actor=actor,
        action="post.variant_reset",
        organisation=post.organisation,
        target=post,
        details={"variant": variant.pk},
    )
    return variant


def variants_blocked_by_account(post: Post) -> list[Variant]:
    """Variants whose account was retired since the post was written."""
    return list(
        Variant.objects.filter(version__post=post, account__status=AccountStatus.RETIRED)
        .exclude(state__in=[VariantState.PUBLISHED, VariantState.DELETED])
        .select_related("account")
    )
