from django.urls import URLPattern, URLResolver, path

from townsquare.inbox import learning_views, queue_views, settings_views, sla_views, views

app_name = "inbox"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", queue_views.queue, name="queue"),
    path("updates/", queue_views.queue_updates, name="queue_updates"),
    path("new-case/", views.case_new, name="case_new"),
    path("rules/", settings_views.routing_rules, name="rules"),
    path("rules/<int:rule_id>/delete/", settings_views.routing_rule_remove, name="rule_delete"),
    path("rules/retrain/", learning_views.retrain, name="router_retrain"),
    path("canned/", settings_views.canned_replies, name="canned"),
    path("sla/", sla_views.sla_settings, name="sla_settings"),
    path("sla/report/", sla_views.sla_report, name="sla_report"),
    path("canned/<int:reply_id>/delete/", settings_views.canned_reply_remove,
         name="canned_delete"),
    path("<int:conversation_id>/", views.conversation_detail, name="conversation"),
    path("<int:conversation_id>/composing/", views.composing, name="composing"),
    path("<int:conversation_id>/updates/", queue_views.conversation_updates,
         name="conversation_updates"),
    path("<int:conversation_id>/reply/", views.reply, name="reply"),
    path("<int:conversation_id>/note/", views.note, name="note"),
    path("<int:conversation_id>/assign/", views.assign, name="assign"),
    path("<int:conversation_id>/status/", views.set_status, name="status"),
    path("<int:conversation_id>/transfer/", views.transfer, name="transfer"),
    path("<int:conversation_id>/link/", views.link, name="link"),
    path("<int:conversation_id>/messages/<int:message_id>/retry/", views.retry, name="retry"),
    path("<int:conversation_id>/messages/<int:message_id>/correct/", learning_views.correct,
         name="correct"),
]
