"""Console pages of the official account registry."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_POST

from townsquare.channels.adapters import registry
from townsquare.channels.adapters.base import AdapterError, Network
from townsquare.channels.forms import (
    CREDENTIAL_FIELDS,
    AccountCreateForm,
    AccountFilterForm,
    AccountForm,
    CredentialsForm,
    ImportForm,
)
from townsquare.channels.models import Account, AccountStatus, OAuthState
from townsquare.channels.selectors import (
    account_get_for_user,
    accounts_visible_to,
    inbound_items_for_account,
)
from townsquare.channels.services.accounts import (
    account_confirm_ownership,
    account_create,
    account_update,
    check_can_manage_accounts,
)
from townsquare.channels.services.csv_file import decode_csv
from townsquare.channels.services.csv_io import (
    accounts_export,
    accounts_import_apply,
    accounts_import_check,
)
from townsquare.channels.services.keys import account_connect_with_keys
from townsquare.channels.services.oauth import connection_complete, connection_start
from townsquare.core.http import StaffRequest
from townsquare.core.text import strip_bidi_controls
from townsquare.organisations.models import Organisation, Role
from townsquare.organisations.selectors import (
    organisations_visible_to,
    roles_of,
    users_visible_to,
)

IMPORT_SESSION_KEY = "channels_import"
MANAGER_ROLES = {Role.ADMINISTRATOR, Role.EDITOR}


def _apply_errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _can_manage(user: Any, organisation: Organisation) -> bool:
    return bool(roles_of(user, organisation) & MANAGER_ROLES)


def _manageable_organisations(user: Any) -> QuerySet[Organisation]:
    ids = [o.pk for o in organisations_visible_to(user) if _can_manage(user, o)]
    return organisations_visible_to(user).filter(pk__in=ids, is_active=True)


def _filtered(request: StaffRequest) -> tuple[AccountFilterForm, QuerySet[Account]]:
    form = AccountFilterForm(request.GET or None,
                             organisations=organisations_visible_to(request.user))
    accounts = accounts_visible_to(request.user)
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            query = data["q"]
            accounts = accounts.filter(
                Q(handle_key__icontains=query.lstrip("@"))
                | Q(display_name__icontains=query)
                | Q(url__icontains=query)
                | Q(purpose__icontains=query)
            )
        if data["organisation"] is not None:
            accounts = accounts.filter(organisation__path__startswith=data["organisation"].path)
        for name, column in (("network", "network"), ("status", "status"),
                             ("connection", "connection_state")):
            if data[name]:
                accounts = accounts.filter(**{column: data[name]})
    return form, accounts


@login_required
def account_list(request: StaffRequest) -> HttpResponse:
    form, accounts = _filtered(request)
    page = Paginator(accounts, 50).get_page(request.GET.get("page"))
    params = {k: str(v) for k, v in request.GET.items() if k != "page" and v}
    return render(
        request,
        "channels/list.html",
        {
            "form": form,
            "page": page,
            "query_string": urlencode(params),
            "can_create": _manageable_organisations(request.user).exists(),
        },
    )


@login_required
def account_detail(request: StaffRequest, account_id: int) -> HttpResponse:
    account = account_get_for_user(request.user, account_id)
    return render(
        request,
        "channels/detail.html",
        {
            "account": account,
            "can_manage": _can_manage(request.user, account.organisation),
            "inbound_count": inbound_items_for_account(request.user, account).count(),
            "latest_items": inbound_items_for_account(request.user, account).order_by(
                "-first_seen_at", "-id"
            )[:20],
            "uses_oauth": Network(account.network) in registry.OAUTH,
            "takes_keys": bool(CREDENTIAL_FIELDS.get(account.network)),
            "has_credentials": hasattr(account, "credential"),
        },
    )


@login_required
def account_new(request: StaffRequest) -> HttpResponse:
    organisations = _manageable_organisations(request.user)
    if not organisations.exists():
        raise PermissionDenied
    form = AccountCreateForm(request.POST or None, organisations=organisations,
                             people=users_visible_to(request.user),
                             initial={"status": AccountStatus.ACTIVE, "listed_publicly": True})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            account = account_create(actor=request.user, **data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The account is added to the registry."))
            return redirect("channels:detail", account.pk)
    return render(request, "channels/form.html", {"form": form, "account": None})


@login_required
def account_edit(request: StaffRequest, account_id: int) -> HttpResponse:
    account = account_get_for_user(request.user, account_id)
    check_can_manage_accounts(request.user, account.organisation)
    initial = {
        "handle": account.handle, "display_name": account.display_name, "url": account.url,
        "responsible": account.responsible, "purpose": account.purpose,
        "languages": account.languages, "status": account.status,
        "listed_publicly": account.listed_publicly,
    }
    form = AccountForm(request.POST or None, initial=initial,
                       people=users_visible_to(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            account_update(actor=request.user, account=account, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The account is saved."))
            return redirect("channels:detail", account.pk)
    return render(request, "channels/form.html", {"form": form, "account": account})


@login_required
@require_POST
def account_retire(request: StaffRequest, account_id: int) -> HttpResponse:
    account = account_get_for_user(request.user, account_id)
    account_update(actor=request.user, account=account, status=AccountStatus.RETIRED)
    messages.success(request, _("The account is retired. It no longer appears in the public "
                                "directory."))
    return redirect("channels:detail", account.pk)


@login_required
@require_POST
def account_confirm(request: StaffRequest, account_id: int) -> HttpResponse:
    account = account_get_for_user(request.user, account_id)
    account_confirm_ownership(actor=request.user, account=account)
    messages.success(request, _("Thank you: ownership of the account is confirmed."))
    return redirect("channels:detail", account.pk)


@login_required
@require_POST
def account_connect(request: StaffRequest, account_id: int) -> HttpResponse:
    account = account_get_for_user(request.user, account_id)
    check_can_manage_accounts(request.user, account.organisation)
    if Network(account.network) not in registry.OAUTH:
        return redirect("channels:credentials", account.pk)
    redirect_uri = request.build_absolute_uri(reverse("channels:oauth_callback"))
    try:
        url = connection_start(actor=request.user, account=account, redirect_uri=redirect_uri)
    except (LookupError, ImportError, AdapterError, ValueError) as exc:
        messages.error(
            request,
            _("The connection could not be started: %(problem)s")
            % {"problem": strip_bidi_controls(str(exc))[:200]},
        )
        return redirect("channels:detail", account.pk)
    return HttpResponseRedirect(url)


@sensitive_variables("code")
@login_required
@require_GET
def oauth_callback(request: StaffRequest) -> HttpResponse:
    state = request.GET.get("state", "")[:200]
    code = request.GET.get("code", "")[:2000]
    pending = OAuthState.objects.filter(state=state, user=request.user).first() if state else None
    back = (reverse("channels:detail", args=[pending.account_id]) if pending
            else reverse("channels:list"))
    refused = request.GET.get("error", "")
    if refused:
        reason = request.GET.get("error_description", "") or refused
        messages.error(
            request,
            _("The network did not grant access: %(reason)s")
            % {"reason": strip_bidi_controls(reason)[:200]},
        )
        return redirect(back)
    if not state or not code:
        messages.error(request, _("The network sent back an incomplete answer. Start again."))
        return redirect(back)
    try:
        account = connection_complete(actor=request.user, state=state, code=code)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages)[:300])
        return redirect(back)
    except PermissionDenied:
        messages.error(request, _("This connection was started by someone else."))
        return redirect("channels:list")
    messages.success(request, _("The account is connected."))
    return redirect("channels:detail", account.pk)


@sensitive_post_parameters()
@login_required
def account_credentials(request: StaffRequest, account_id: int) -> HttpResponse:
    account = account_get_for_user(request.user, account_id)
    check_can_manage_accounts(request.user, account.organisation)
    if not CREDENTIAL_FIELDS.get(account.network):
        raise Http404("This network needs no credentials")
    form = CredentialsForm(request.POST or None, network=account.network, config=account.config)
    if request.method == "POST" and form.is_valid():
        credentials, config = form.split()
        try:
            account_connect_with_keys(
                actor=request.user, account=account, credentials=credentials, config=config
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(
                request, _("The network accepted the credentials; they are stored, encrypted.")
            )
            return redirect("channels:detail", account.pk)
    return render(request, "channels/credentials.html", {"form": form, "account": account})


@login_required
def account_import(request: StaffRequest) -> HttpResponse:
    if not _manageable_organisations(request.user).exists():
        raise PermissionDenied
    form = ImportForm()
    report = None
    if request.method == "POST" and "apply" in request.POST:
        text = request.session.get(IMPORT_SESSION_KEY)
        if not isinstance(text, str):
            messages.error(request, _("The checked file is no longer available. Upload it again."))
            return redirect("channels:import")
        report = accounts_import_apply(actor=request.user, text=text)
        if report.applied:
            del request.session[IMPORT_SESSION_KEY]
            messages.success(
                request,
                _("Import done: %(created)s added, %(updated)s updated, %(unchanged)s unchanged.")
                % {"created": report.created, "updated": report.updated,
                   "unchanged": report.unchanged},
            )
            return redirect("channels:list")
    elif request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        request.session.pop(IMPORT_SESSION_KEY, None)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            text, file_errors = decode_csv(upload.read(2 * 1024 * 1024 + 1))
            if file_errors:
                form.add_error("file", file_errors)
            else:
                report = accounts_import_check(actor=request.user, text=text)
                if not report.has_errors:
                    request.session[IMPORT_SESSION_KEY] = text
    return render(request, "channels/import.html", {"form": form, "report": report})


@login_required
@require_GET
def account_export(request: StaffRequest) -> HttpResponse:
    _form, accounts = _filtered(request)
    body = accounts_export(actor=request.user, accounts=accounts)
    response = HttpResponse(body.encode("utf-8-sig"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="official-accounts.csv"'
    return response
