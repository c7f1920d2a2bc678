from django.urls import path

from townsquare.engagement import poll_views, results_views, views

app_name = "engagement"

urlpatterns = [
    path("", views.engagement_home, name="home"),
    path("surveys/new/", views.survey_new, name="survey_new"),
    path("surveys/<int:survey_id>/", views.survey_detail, name="survey"),
    path("surveys/<int:survey_id>/edit/", views.survey_edit, name="survey_edit"),
    path("surveys/<int:survey_id>/preview/", views.survey_preview, name="preview"),
    path("surveys/<int:survey_id>/sections/new/", views.section_new, name="section_new"),
    path("surveys/<int:survey_id>/results/", results_views.survey_results_page, name="results"),
    path("surveys/<int:survey_id>/export.csv", results_views.survey_export, name="export"),
    path("surveys/<int:survey_id>/paper/", results_views.paper_entry, name="paper"),
    path("surveys/<int:survey_id>/<slug:action>/", views.survey_action, name="survey_action"),
    path("sections/<int:section_id>/questions/new/", views.question_new, name="question_new"),
    path("questions/<int:question_id>/edit/", views.question_edit, name="question_edit"),
    path("questions/<int:question_id>/<slug:action>/", views.question_action,
         name="question_action"),
    path("polls/new/", poll_views.poll_new, name="poll_new"),
    path("polls/<int:poll_id>/", poll_views.poll_detail, name="poll"),
    path("polls/<int:poll_id>/<slug:action>/", poll_views.poll_action, name="poll_action"),
]
