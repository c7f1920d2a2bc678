from django.urls import path

from townsquare.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("organisations/<slug:slug>/", views.organisation, name="organisation"),
    path("directory/", views.directory, name="directory"),
]
