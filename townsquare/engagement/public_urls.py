from django.urls import path

from townsquare.engagement import public_views as views

app_name = "engagement_public"

urlpatterns = [
    path("have-your-say/", views.surveys_index, name="index"),
    path("surveys/<slug:slug>/", views.survey_start, name="survey"),
    path("surveys/<slug:slug>/verify/", views.survey_verify, name="verify"),
    path("surveys/<slug:slug>/resume/<str:token>/", views.survey_resume, name="resume"),
    path("surveys/<slug:slug>/page/<int:number>/", views.survey_page, name="page"),
    path("surveys/<slug:slug>/review/", views.survey_review, name="review"),
    path("surveys/<slug:slug>/thanks/", views.survey_thanks, name="thanks"),
    path("surveys/<slug:slug>/embed/", views.survey_embed, name="survey_embed"),
    path("polls/<slug:slug>/", views.poll_page, name="poll"),
    path("polls/<slug:slug>/embed/", views.poll_embed, name="poll_embed"),
]
