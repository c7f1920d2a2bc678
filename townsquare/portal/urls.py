from django.urls import path

from townsquare.inbox import portal_views as inbox_portal_views
from townsquare.portal import views
from townsquare.publishing import public as publishing_public

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("organisations/<slug:slug>/", views.organisation, name="organisation"),
    path("organisations/<slug:slug>/feed.atom", publishing_public.organisation_feed_atom,
         name="organisation_feed_atom"),
    path("organisations/<slug:slug>/feed.rss", publishing_public.organisation_feed_rss,
         name="organisation_feed_rss"),
    path("directory/", views.directory, name="directory"),
    path("track/", inbox_portal_views.track, name="track"),
    path("contact/", inbox_portal_views.contact, name="contact"),
    path("track/rate/<str:token>/", inbox_portal_views.rate, name="rate"),
]
