"""django-allauth adapters: staff accounts are created by administrators, not by sign-up."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sites.shortcuts import get_current_site


class StaffAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return False

    def _get_login_attempts_cache_key(self, request, **credentials: Any) -> str:
        # allauth counts failed sign-ins per typed identifier, so "bob" and
        # "bob@example.org" would each get their own allowance. Count them per account
        # instead: an e-mail address that belongs to an account counts as its username.
        # (Overrides a private allauth hook; tests/test_auth_flows.py guards it.)
        login = str(credentials.get("email") or credentials.get("username") or "")
        login = login.strip().lower()
        if "@" in login:
            username = (
                get_user_model()
                .objects.filter(email__iexact=login)
                .values_list("username", flat=True)
                .first()
            )
            if username:
                login = username.lower()
        return f"{get_current_site(request).domain}:{login}"


class StaffSocialAccountAdapter(DefaultSocialAccountAdapter):
    """Single sign-on signs in existing staff (matched by an e-mail address the identity
    provider says it has verified); it creates accounts only when OIDC_CREATE_USERS is on.
    """

    def is_open_for_signup(self, request, sociallogin) -> bool:
        return bool(settings.OIDC_CREATE_USERS)
