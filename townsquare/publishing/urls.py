from django.urls import path

from townsquare.publishing import calendar_views, settings_views, views

app_name = "publishing"

urlpatterns = [
    path("", views.post_list, name="list"),
    path("new/", views.post_new, name="new"),
    path("calendar/", calendar_views.post_calendar, name="calendar"),
    path("calendar/move/<int:post_id>/", calendar_views.post_move, name="move"),
    path("hints/", calendar_views.plain_language_hints, name="hints"),
    path("settings/", settings_views.publishing_settings, name="settings"),
    path("<int:post_id>/", views.post_detail, name="detail"),
    path("<int:post_id>/edit/", views.post_edit, name="edit"),
    path("<int:post_id>/<slug:action>/", views.post_action, name="action"),
    path("variants/<int:variant_id>/", views.variant_edit_page, name="variant_edit"),
    path("variants/<int:variant_id>/reset/", views.variant_reset_view, name="variant_reset"),
]
