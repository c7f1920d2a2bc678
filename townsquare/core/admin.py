from django.contrib import admin

from townsquare.core.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit log is never edited, not even by superusers."""

    list_display = ("created_at", "actor_label", "action", "target_label", "ip_address")
    list_filter = ("action",)
    search_fields = ("actor_label", "target_label", "action")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
