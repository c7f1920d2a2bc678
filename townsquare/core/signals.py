"""Sign-in events go to the audit log (Django only offers signals for these)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from townsquare.core.services import audit_record


@receiver(user_logged_in)
def _audit_sign_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit_record(actor=user, action="auth.sign_in")


@receiver(user_logged_out)
def _audit_sign_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit_record(actor=user, action="auth.sign_out")


@receiver(user_login_failed)
def _audit_failed_sign_in(sender: Any, credentials: dict[str, Any], **kwargs: Any) -> None:
    attempted = str(credentials.get("username") or credentials.get("email") or "")[:150]
    audit_record(actor=None, actor_label=attempted or "unknown", action="auth.sign_in_failed")
