"""The sandbox network, mounted at /sandbox/: a page, OAuth and the Mastodon API subset."""

from django.urls import path, re_path

from townsquare.sandbox import api, streaming, views

app_name = "sandbox"

urlpatterns = [
    path("", views.timeline, name="timeline"),
    path("media/<int:media_id>", views.media_file, name="media_file"),
    path("oauth/authorize", views.authorize, name="authorize"),
    path("oauth/token", views.token, name="token"),
    # Mastodon.py asks for the instance with a trailing slash; Mastodon accepts both.
    re_path(r"^api/v1/instance/?$", api.instance_v1, name="instance_v1"),
    re_path(r"^api/v2/instance/?$", api.instance_v2, name="instance_v2"),
    path("api/v1/apps", api.apps, name="apps"),
    path("api/v1/accounts/verify_credentials", api.verify_credentials, name="verify_credentials"),
    path("api/v1/accounts/<str:account_id>", api.account_detail, name="account"),
    path("api/v1/notifications", api.notifications, name="notifications"),
    path("api/v1/statuses", api.statuses, name="statuses"),
    path("api/v1/statuses/<str:status_id>", api.status_detail, name="status"),
    path("api/v2/media", api.media_upload, name="media_upload"),
    path("api/v1/media/<str:media_id>", api.media_detail, name="media"),
    path("api/v2/search", api.search, name="search"),
    path("api/v1/streaming/public", streaming.public, name="streaming_public"),
    path("api/v1/streaming/public/local", streaming.public, name="streaming_public_local"),
    path("api/v1/streaming/hashtag", streaming.hashtag, name="streaming_hashtag"),
    path("api/v1/streaming/hashtag/local", streaming.hashtag, name="streaming_hashtag_local"),
]
