"""Console actions of the learned router and of staff corrections: correct a message's
sentiment and topic (conversation page), retrain the router now (routing rules page)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from townsquare.core.forms import UswdsFormMixin
from townsquare.core.http import StaffRequest
from townsquare.inbox.learned_router import MIN_EXAMPLES, MIN_LABELS, TrainingRefused
from townsquare.inbox.selectors import conversation_get_for_user
from townsquare.inbox.services.learning import (
    SENTIMENTS,
    governments_retrainable_by,
    message_correct,
    router_train,
    taxonomy_topics,
    topic_name,
)
from townsquare.inbox.views import _detail


class CorrectionForm(UswdsFormMixin, forms.Form):
    sentiment = forms.ChoiceField(label=gettext_lazy("Sentiment"), required=False)
    topic = forms.ChoiceField(label=gettext_lazy("Topic"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        keep = ("", gettext_lazy("Leave as it is"))
        sentiment = cast(forms.ChoiceField, self.fields["sentiment"])
        sentiment.choices = [keep, *SENTIMENTS.items()]
        topic = cast(forms.ChoiceField, self.fields["topic"])
        topic.choices = [keep, *((t, topic_name(t)) for t in taxonomy_topics())]


@login_required
@require_POST
def correct(request: StaffRequest, conversation_id: int, message_id: int) -> HttpResponse:
    conversation = conversation_get_for_user(request.user, conversation_id)
    message = conversation.messages.filter(pk=message_id).first()
    if message is None:
        raise Http404("No such message")
    form = CorrectionForm(request.POST)
    problem = ""
    if not form.is_valid():
        problem = _("Choose a sentiment and a topic from the lists.")
    else:
        try:
            made = message_correct(actor=request.user, message=message,
                                   sentiment=form.cleaned_data["sentiment"],
                                   topic=form.cleaned_data["topic"])
        except ValidationError as exc:
            problem = " ".join(exc.messages)
        else:
            if made:
                messages.success(request, _("The correction is saved. The models learn from "
                                            "it at their next training."))
            else:
                messages.info(request, _("Nothing changed: the message already had these "
                                         "values."))
            return redirect("inbox:conversation", conversation.pk)
    messages.error(request, problem)
    return _detail(request, conversation, status=400)


@login_required
@require_POST
def retrain(request: StaffRequest) -> HttpResponse:
    """Retrain the router now (a few seconds for thousands of examples; the nightly task
    does the same for every government)."""
    governments = governments_retrainable_by(request.user)
    if not governments:
        raise PermissionDenied
    for government in governments:
        try:
            report = router_train(government=government, actor=request.user)
        except TrainingRefused as exc:
            messages.error(request, _(
                "The router was not retrained: it has %(examples)d examples of %(labels)d "
                "organisations, and needs at least %(min_examples)d examples of at least "
                "%(min_labels)d organisations. The current router stays in use."
            ) % {"examples": exc.examples, "labels": exc.labels,
                 "min_examples": MIN_EXAMPLES, "min_labels": MIN_LABELS})
        else:
            row = report.classifier
            messages.success(request, _(
                "The router is retrained on %(count)d examples of %(agencies)d organisations."
            ) % {"count": row.example_count, "agencies": len(row.labels)})
    return redirect("inbox:rules")
