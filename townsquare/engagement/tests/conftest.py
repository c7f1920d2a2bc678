import pytest
from django.core.cache import cache

from townsquare.engagement.services.builder import (
    ChoiceSpec,
    question_add,
    section_add,
    survey_create,
    survey_publish,
)


@pytest.fixture
def fresh_cache(db):
    # Rate-limit counters and email codes live in the cache; start every test clean.
    cache.clear()
    yield
    cache.clear()


def options(*labels):
    return [ChoiceSpec(label=label) for label in labels]


@pytest.fixture
def draft(government, alice, fresh_cache):
    """A Transport survey: page 1 (satisfaction, a follow-up shown only to the unhappy,
    channels used, ranking), page 2 (region, a number, a date, free text)."""
    survey = survey_create(actor=alice, organisation=government["transport"],
                           title="Bus service survey", intro="Tell us about the buses.",
                           translations={"ar": {"title": "استبيان الحافلات"}})
    one = section_add(actor=alice, survey=survey, title="Your trip")
    question_add(actor=alice, section=one, kind="single", key="happy", text="Are you happy?",
                 required=True, options=options("Yes", "No"),
                 translations={"ar": {"text": "هل أنت راضٍ؟"}})
    question_add(actor=alice, section=one, kind="text", key="why", text="Why not?",
                 required=True, condition={"question": "happy", "equals": "no"})
    question_add(actor=alice, section=one, kind="multiple", key="channels",
                 text="Where do you hear from us?", options=options("Radio", "X", "Facebook"))
    question_add(actor=alice, section=one, kind="ranking", key="rank", text="Rank these",
                 options=options("Price", "Speed", "Comfort"))
    two = section_add(actor=alice, survey=survey, title="About you")
    question_add(actor=alice, section=two, kind="single", key="region", text="Region?",
                 segment="region", options=options("North", "South", "East"))
    question_add(actor=alice, section=two, kind="number", key="trips", text="Trips a week?",
                 min_value=0, max_value=50)
    question_add(actor=alice, section=two, kind="date", key="last", text="Last trip?")
    question_add(actor=alice, section=two, kind="text", key="ideas", text="Ideas?",
                 max_length=200)
    return survey


@pytest.fixture
def survey(draft, alice):
    return survey_publish(actor=alice, survey=draft)
