from django.contrib import admin
from django.urls import include, path

from townsquare.api.api import api
from townsquare.media import views as media_views

urlpatterns = [
    path("", include("townsquare.portal.urls")),
    path("", include("townsquare.engagement.public_urls")),
    path("console/", include("townsquare.core.urls")),
    path("console/organisations/", include("townsquare.organisations.urls")),
    path("console/tokens/", include("townsquare.api.urls")),
    path("console/channels/", include("townsquare.channels.urls")),
    path("console/media/", include("townsquare.media.urls")),
    path("public-media/<str:token>", media_views.public_file, name="media_public"),
    path("console/publishing/", include("townsquare.publishing.urls")),
    path("console/archive/", include("townsquare.archive.urls")),
    path("console/inbox/", include("townsquare.inbox.urls")),
    path("console/engagement/", include("townsquare.engagement.urls")),
    path("console/listening/", include("townsquare.listening.urls")),
    path("console/ingest/", include("townsquare.ingest.urls")),
    path("accounts/", include("allauth.urls")),
    path("webhooks/", include("townsquare.channels.webhook_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("sandbox/", include("townsquare.sandbox.urls")),
    path("api/v1/", api.urls),
    path("django-admin/", admin.site.urls),
]
