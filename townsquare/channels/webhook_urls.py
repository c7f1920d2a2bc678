from django.urls import path

from townsquare.channels import webhooks

app_name = "webhooks"

urlpatterns = [
    path("<slug:network>/", webhooks.receive, name="receive"),
    path("<slug:network>/<int:account_id>/", webhooks.receive, name="receive_account"),
]
