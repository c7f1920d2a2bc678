from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from townsquare.organisations.models import Membership, Organisation, Team, User


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        ("Townsquare", {"fields": ("language", "time_zone")}),
    )


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "parent", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "short_name")
    readonly_fields = ("path",)


admin.site.register(Team)
admin.site.register(Membership)
