"""Data-subject requests (GDPR-style access and erasure) handled by records officers.

A request names a person by the identifiers staff know (tracking numbers of their
conversations, network handles, an email address, a phone number). Access builds an
export of everything held about them; erasure removes them from the live application
while the archive keeps its records with access restricted under a logged legal basis.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SubjectRequestKind(models.TextChoices):
    ACCESS = "access", _("Access (export everything held)")
    ERASURE = "erasure", _("Erasure")


class SubjectRequestStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    IN_PROGRESS = "in_progress", _("Export being built")
    COMPLETED = "completed", _("Completed")
    FAILED = "failed", _("Failed")


class ErasureBasis(models.TextChoices):
    """Why the archive keeps records of a person who asked to be erased (GDPR art. 17(3))."""

    PUBLIC_RECORDS = "public_records", _("Public-records obligation")
    ARCHIVING = "archiving", _("Archiving in the public interest")
    LEGAL_CLAIMS = "legal_claims", _("Establishment, exercise or defence of legal claims")
    LEGAL_OBLIGATION = "legal_obligation", _("Another legal obligation")


class SubjectRequest(models.Model):
    organisation = models.ForeignKey(
        "organisations.Organisation", verbose_name=_("organisation"), on_delete=models.PROTECT,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=SubjectRequestKind.choices)
    status = models.CharField(_("status"), max_length=12, choices=SubjectRequestStatus.choices,
                              default=SubjectRequestStatus.RECEIVED)
    # How staff refer to the request; not necessarily the person's name.
    reference = models.CharField(_("reference"), max_length=200)
    # Identifiers of the person, as given (cleaned): matched when the request is carried out.
    tracking_numbers = models.JSONField(default=list, blank=True)
    handles = models.JSONField(default=list, blank=True)
    email = models.CharField(_("email address"), max_length=254, blank=True)
    phone = models.CharField(_("phone number"), max_length=40, blank=True)
    legal_basis = models.CharField(_("legal basis for keeping archive records"), max_length=20,
                                   choices=ErasureBasis.choices, blank=True)
    legal_basis_note = models.TextField(_("legal basis, details"), blank=True, max_length=2000)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                  related_name="+")
    opened_at = models.DateTimeField(_("received"))
    due_at = models.DateTimeField(_("due"))
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    # What was found or done: counts per kind, held records, notes (see services.subjects).
    summary = models.JSONField(default=dict, blank=True)
    export_name = models.CharField(max_length=100, blank=True)
    export_sha256 = models.CharField(max_length=64, blank=True)
    failure = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("data-subject request")
        verbose_name_plural = _("data-subject requests")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pk}"
