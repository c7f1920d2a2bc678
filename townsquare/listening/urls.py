from django.urls import path

from townsquare.listening import feed_views, views

app_name = "listening"

urlpatterns = [
    path("", views.query_list, name="list"),
    path("new/", views.query_new, name="new"),
    path("feeds/", feed_views.feed_list, name="feeds"),
    path("feeds/new/", feed_views.feed_new, name="feed_new"),
    path("feeds/<int:feed_id>/", feed_views.feed_edit, name="feed_edit"),
    path("feeds/<int:feed_id>/read/", feed_views.feed_read_now, name="feed_read"),
    path("<int:query_id>/", views.query_detail, name="detail"),
    path("<int:query_id>/edit/", views.query_edit, name="edit"),
    path("<int:query_id>/stream/", views.query_stream, name="stream"),
    path("<int:query_id>/alerts/new/", views.rule_new, name="rule_new"),
    path("<int:query_id>/alerts/<int:rule_id>/", views.rule_edit, name="rule_edit"),
    path("<int:query_id>/alerts/events/<int:event_id>/note/", views.alert_note,
         name="alert_note"),
    path("<int:query_id>/alerts/events/<int:event_id>/conversation/",
         views.alert_conversation, name="alert_conversation"),
]
