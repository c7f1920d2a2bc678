"""Console pages for one's own API tokens."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from townsquare.api.forms import ApiTokenForm
from townsquare.api.selectors import api_token_get_for_user, api_tokens_of
from townsquare.api.services import api_token_create, api_token_revoke


def _apply_errors(form: ApiTokenForm, exc: ValidationError) -> None:
    mapping = {"expires_at": "expires_on"}
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            name = mapping.get(field, field)
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST or None)
    new_token = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                _token, new_token = api_token_create(
                    user=request.user,  # type: ignore[arg-type]
                    name=form.cleaned_data["name"],
                    scopes=form.cleaned_data["scopes"],
                    expires_at=form.expires_at(),
                )
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                form = ApiTokenForm()
        if new_token is None:
            status = 422
    response = render(
        request,
        "api/token_list.html",
        {"form": form, "tokens": api_tokens_of(request.user), "new_token": new_token},
        status=status,
    )
    if new_token:
        # The secret is shown once: never keep this page in a cache.
        response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = api_token_get_for_user(request.user, token_id)
    api_token_revoke(actor=request.user, token=token)  # type: ignore[arg-type]
    messages.success(request, _("The token is revoked."))
    return redirect("api_tokens")
