from django.urls import path

from townsquare.engagement import consultation_public_views as consultations
from townsquare.engagement import public_views as views
from townsquare.engagement import sms_views

app_name = "engagement_public"

urlpatterns = [
    path("have-your-say/", views.surveys_index, name="index"),
    path("surveys/<slug:slug>/", views.survey_start, name="survey"),
    path("surveys/<slug:slug>/verify/", views.survey_verify, name="verify"),
    path("surveys/<slug:slug>/verify-by-sms/", sms_views.survey_verify_sms, name="verify_sms"),
    path("surveys/<slug:slug>/resume/<str:token>/", views.survey_resume, name="resume"),
    path("surveys/<slug:slug>/page/<int:number>/", views.survey_page, name="page"),
    path("surveys/<slug:slug>/review/", views.survey_review, name="review"),
    path("surveys/<slug:slug>/thanks/", views.survey_thanks, name="thanks"),
    path("surveys/<slug:slug>/embed/", views.survey_embed, name="survey_embed"),
    path("polls/<slug:slug>/", views.poll_page, name="poll"),
    path("polls/<slug:slug>/embed/", views.poll_embed, name="poll_embed"),
    path("consultations/<slug:slug>/", consultations.consultation_page, name="consultation"),
    path("consultations/<slug:slug>/verify/", consultations.consultation_verify,
         name="consultation_verify"),
    path("consultations/<slug:slug>/comment/", consultations.consultation_comment,
         name="consultation_comment"),
    path("consultations/<slug:slug>/support/", consultations.consultation_support,
         name="consultation_support"),
    path("consultations/<slug:slug>/vote/", consultations.consultation_vote,
         name="consultation_vote"),
    path("consultations/<slug:slug>/statement/", consultations.consultation_statement,
         name="consultation_statement"),
    path("consultations/<slug:slug>/appeal/", consultations.consultation_appeal,
         name="consultation_appeal"),
    path("consultations/<slug:slug>/respond/", consultations.consultation_respond,
         name="consultation_respond"),
]
