"""Open data: the results of published surveys (read only, public, no token).

A draft survey is a 404 whatever its slug, as on the citizen site: only surveys citizens
can already see (published or closed) have public results. Counts are suppressed below
the installation's minimum group size (see ``townsquare.engagement.exports``).
"""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Path, Router, Schema
from ninja.throttling import AnonRateThrottle

from townsquare.api.errors import ErrorOut
from townsquare.engagement.exports import open_data
from townsquare.engagement.selectors import public_survey

router = Router(tags=["survey results"])

PUBLIC_RATE_LIMIT = "300/m"
ERRORS: dict[int, Any] = {404: ErrorOut, 422: ErrorOut, 429: ErrorOut}
SLUG_PATTERN = r"^[-a-zA-Z0-9_]+$"  # a survey's address name (Django's slug)


class LicenceOut(Schema):
    id: str = Field(description="SPDX identifier, e.g. CC-BY-4.0.")
    url: str


class OrganisationNameOut(Schema):
    slug: str
    name: str


class SurveyMetaOut(Schema):
    slug: str
    title: str
    translations: dict[str, str] = Field(description="Title per language code.")
    organisation: OrganisationNameOut
    status: str = Field(description="published or closed.")
    respondent_mode: str
    opens_at: str | None
    closes_at: str | None
    published_at: str | None
    demonstration_data: bool


class SuppressionOut(Schema):
    minimum_cell: int
    note: str


class AnswerOut(Schema):
    value: str
    label: str
    count: int | None = Field(description="null: suppressed (too few respondents).")
    share: float | None = Field(description="0 to 1 of the respondents who answered.")


class MatrixRowOut(Schema):
    label: str
    counts: list[int | None]


class QuestionResultOut(Schema):
    key: str
    kind: str
    text: str
    translations: dict[str, str]
    answered: int | None = Field(description="null: fewer than the minimum group size.")
    share_of: str | None = None
    note: str | None = None
    answers: list[AnswerOut] | None = None
    average_rank: dict[str, float | None] | None = None
    columns: list[str] | None = None
    rows: list[MatrixRowOut] | None = None
    summary: dict[str, float] | None = None
    withheld: bool = Field(False, description="Free text and dates are not published.")


class SurveyResultsOut(Schema):
    format: str
    survey: SurveyMetaOut
    licence: LicenceOut
    generated_at: str
    responses: int
    suppression: SuppressionOut
    questions: list[QuestionResultOut]


@router.get("/surveys/{slug}/results", response={200: SurveyResultsOut, **ERRORS},
            auth=None, throttle=[AnonRateThrottle(PUBLIC_RATE_LIMIT)], url_name="survey_results")
def survey_results(request: HttpRequest,
                   slug: Annotated[str, Path(pattern=SLUG_PATTERN, max_length=80)]) -> Any:
    """The published results of a survey as open data, under the licence given."""
    return open_data(public_survey(slug))
