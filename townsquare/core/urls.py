from django.urls import path

from townsquare.core import views

app_name = "console"

urlpatterns = [
    path("", views.home, name="home"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_mark_read, name="notifications_mark_read"),
    path("search/", views.search, name="search"),
    path("preferences/", views.preferences, name="preferences"),
    path("switch/", views.switch_organisation, name="switch_organisation"),
    path("security/second-factor-required/", views.mfa_required, name="mfa_required"),
    path("audit/", views.audit_log, name="audit_log"),
]
