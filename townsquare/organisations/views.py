"""Console pages for the government tree, teams and staff roles."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from townsquare.core.forms import clean_query
from townsquare.core.http import StaffRequest
from townsquare.organisations.forms import (
    MemberAddForm,
    OrganisationForm,
    StaffCreateForm,
    TeamForm,
)
from townsquare.organisations.selectors import (
    membership_get_for_user,
    memberships_visible_to,
    organisation_get_for_user,
    organisation_tree,
    organisations_visible_to,
    users_visible_to,
)
from townsquare.organisations.services import (
    membership_grant,
    membership_revoke,
    organisation_update,
    staff_user_create,
    team_create,
)


def _apply_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@login_required
def organisation_list(request: StaffRequest) -> HttpResponse:
    query = clean_query(request.GET.get("q", ""), max_length=100)
    organisations = organisations_visible_to(request.user)
    if query:
        organisations = organisations.filter(
            Q(name__icontains=query)
            | Q(short_name__icontains=query)
            | Q(translations__icontains=query)
        )
    return render(
        request,
        "organisations/list.html",
        {"tree": organisation_tree(organisations), "query": query},
    )


@login_required
def organisation_detail(request: StaffRequest, organisation_id: int) -> HttpResponse:
    organisation = organisation_get_for_user(request.user, organisation_id)
    memberships = memberships_visible_to(request.user).filter(organisation=organisation)
    children = organisations_visible_to(request.user).filter(parent=organisation)
    return render(
        request,
        "organisations/detail.html",
        {
            "organisation": organisation,
            "description": organisation.localised("description"),
            "memberships": memberships.order_by("user__username", "role"),
            "teams": organisation.teams.all(),
            "children": children,
            "can_manage": request.user.has_perm("organisations.manage_members", organisation),
        },
    )


@login_required
def organisation_edit(request: StaffRequest, organisation_id: int) -> HttpResponse:
    organisation = organisation_get_for_user(request.user, organisation_id)
    if not request.user.has_perm("organisations.change_organisation", organisation):
        raise PermissionDenied
    translations = organisation.translations or {}
    initial = {
        "name": organisation.name,
        "name_ar": translations.get("ar", {}).get("name", ""),
        "name_zh": translations.get("zh-hans", {}).get("name", ""),
        "short_name": organisation.short_name,
        "description": organisation.description,
        "website": organisation.website,
    }
    form = OrganisationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        new_translations = {**translations}
        for language, key in (("ar", "name_ar"), ("zh-hans", "name_zh")):
            new_translations[language] = {**translations.get(language, {}), "name": data[key]}
        try:
            organisation_update(
                actor=request.user,
                organisation=organisation,
                name=data["name"],
                short_name=data["short_name"],
                description=data["description"],
                website=data["website"],
                translations=new_translations,
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The organisation is saved."))
            return redirect("organisations:detail", organisation.pk)
    return render(request, "organisations/edit.html", {"form": form, "organisation": organisation})


@login_required
def team_new(request: StaffRequest, organisation_id: int) -> HttpResponse:
    organisation = organisation_get_for_user(request.user, organisation_id)
    if not request.user.has_perm("organisations.manage_teams", organisation):
        raise PermissionDenied
    form = TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            team_create(actor=request.user, organisation=organisation, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The team is created."))
            return redirect("organisations:detail", organisation.pk)
    return render(
        request, "organisations/team_form.html", {"form": form, "organisation": organisation}
    )


@login_required
def member_add(request: StaffRequest, organisation_id: int) -> HttpResponse:
    organisation = organisation_get_for_user(request.user, organisation_id)
    if not request.user.has_perm("organisations.manage_members", organisation):
        raise PermissionDenied
    form = MemberAddForm(request.POST or None, organisation=organisation, actor=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            membership_grant(
                actor=request.user,
                user=data["username"],
                organisation=organisation,
                role=data["role"],
                team=data["team"],
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The role is granted."))
            return redirect("organisations:detail", organisation.pk)
    return render(
        request, "organisations/member_form.html", {"form": form, "organisation": organisation}
    )


@login_required
def staff_new(request: StaffRequest, organisation_id: int) -> HttpResponse:
    organisation = organisation_get_for_user(request.user, organisation_id)
    if not request.user.has_perm("organisations.manage_members", organisation):
        raise PermissionDenied
    form = StaffCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            staff = staff_user_create(
                actor=request.user,
                username=data["username"],
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                language=organisation.default_language,
                time_zone=organisation.time_zone,
            )
            membership_grant(
                actor=request.user, user=staff, organisation=organisation, role=data["role"]
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(
                request,
                _(
                    "The account is created. The new colleague sets a password with "
                    "“Forgot your password?” on the sign-in page."
                ),
            )
            return redirect("organisations:detail", organisation.pk)
    return render(
        request, "organisations/staff_form.html", {"form": form, "organisation": organisation}
    )


@login_required
@require_POST
def member_remove(request: StaffRequest, membership_id: int) -> HttpResponse:
    membership = membership_get_for_user(request.user, membership_id)
    if not request.user.has_perm("organisations.manage_members", membership.organisation):
        raise PermissionDenied
    organisation_id = membership.organisation_id
    try:
        membership_revoke(actor=request.user, membership=membership)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The role is removed."))
    return redirect("organisations:detail", organisation_id)


@login_required
def people_list(request: StaffRequest) -> HttpResponse:
    query = clean_query(request.GET.get("q", ""), max_length=100)
    people = users_visible_to(request.user).order_by("username")
    if query:
        people = people.filter(
            Q(username__icontains=query)
            | Q(first_name__icontains=query)
            | Q(last_name__icontains=query)
            | Q(email__icontains=query)
        )
    page = Paginator(people, 50).get_page(request.GET.get("page"))
    visible_memberships = memberships_visible_to(request.user).filter(
        user__in=[p.pk for p in page.object_list]
    )
    roles: dict[int, list] = {}
    for m in visible_memberships:
        roles.setdefault(m.user_id, []).append(m)
    rows = [(person, roles.get(person.pk, [])) for person in page.object_list]
    return render(
        request,
        "organisations/people.html",
        {
            "page": page,
            "rows": rows,
            "query": query,
            "query_string": urlencode({"q": query}) if query else "",
        },
    )
