import math

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from townsquare.engagement.logic import condition_holds, validate_condition, visible_questions
from townsquare.engagement.stats import chi_square, gamma_q
from townsquare.engagement.suppression import suppress


def _earlier(draft, *keys):
    return {q.key: q for q in draft.questions.filter(key__in=keys).prefetch_related("choices")}


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("happy", "must be an object"),
        ({"question": "nope", "equals": "yes"}, "earlier question"),
        ({"question": "happy", "equals": "maybe"}, "is not a choice"),
        ({"question": "happy", "includes": "yes"}, "cannot be used"),
        ({"question": "trips", "at_least": "3"}, "needs a number"),
        ({"question": "happy", "equals": "yes", "includes": "no"}, "one comparison"),
        ({"all": []}, "need a list"),
        ({"question": "happy", "answered": False}, "answered"),
        ({"all": [{"all": [{"all": [{"all": [{"question": "happy", "answered": True}]}]}]}]},
         "nested"),
    ],
)
def test_bad_conditions_are_refused_with_a_reason(draft, condition, message):
    with pytest.raises(ValidationError) as excinfo:
        validate_condition(condition, _earlier(draft, "happy", "trips"))
    assert message in " ".join(excinfo.value.messages)


def test_good_conditions_and_their_evaluation(draft):
    earlier = _earlier(draft, "happy", "channels", "trips")
    condition = {"any": [{"question": "happy", "equals": "no"},
                         {"all": [{"question": "channels", "includes": "radio"},
                                  {"question": "trips", "at_least": 3}]}]}
    validate_condition(condition, earlier)
    assert condition_holds(condition, {"happy": ["no"]})
    assert not condition_holds(condition, {"happy": ["yes"], "channels": ["radio"], "trips": 2})
    assert condition_holds(condition, {"happy": ["yes"], "channels": ["radio", "x"], "trips": 3})
    assert not condition_holds({"question": "happy", "answered": True}, {})


def test_a_hidden_answer_never_reveals_a_later_question(draft):
    questions = list(draft.questions.order_by("section__position", "position"))
    # "why" depends on happy=no; a stale "why" answer stays hidden once happy is "yes".
    assert "why" not in visible_questions(questions, {"happy": ["yes"], "why": "late"})
    assert "why" in visible_questions(questions, {"happy": ["no"]})


def test_gamma_q_against_closed_forms():
    for x in (0.1, 1.0, 2.5, 10.0, 40.0):
        assert gamma_q(1, x) == pytest.approx(math.exp(-x), rel=1e-10)
        # Q(1/2, x) = erfc(sqrt(x))
        assert gamma_q(0.5, x) == pytest.approx(math.erfc(math.sqrt(x)), rel=1e-9)
    assert gamma_q(3, 0) == 1.0


def test_chi_square_matches_a_textbook_table():
    result = chi_square([[10, 20], [30, 40]])
    assert result.statistic == pytest.approx(0.7937, abs=1e-4)
    assert result.degrees_of_freedom == 1
    assert result.p_value == pytest.approx(0.3730, abs=1e-4)
    strong = chi_square([[90, 10, 5], [20, 60, 30], [10, 20, 80]])
    assert strong.degrees_of_freedom == 4 and strong.p_value < 1e-10
    assert chi_square([[5, 5]]) is None
    assert chi_square([[0, 0], [0, 0]]) is None


def test_small_cells_and_their_complements_are_hidden():
    table = [[50, 3, 40], [30, 25, 20]]
    hidden = suppress(table, 10)
    assert hidden[0][1]  # 3 is under k
    # One hidden cell in row 0 would be total - others: a second one is hidden there,
    # and in column 1 the cell below is hidden too.
    assert sum(hidden[0]) >= 2
    assert hidden[1][1]
    assert suppress([[50, 30], [20, 40]], 10) == [[False, False], [False, False]]


def test_a_small_group_is_hidden_entirely():
    hidden = suppress([[4, 3], [40, 30], [20, 25]], 10)
    assert hidden[0] == [True, True]


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 5).flatmap(lambda width: st.lists(
    st.lists(st.integers(0, 40), min_size=width, max_size=width), min_size=1, max_size=6)))
def test_no_line_ever_has_exactly_one_hidden_cell(table):
    hidden = suppress(table, 10)
    for i, row in enumerate(table):
        assert sum(hidden[i]) != 1 or len(row) == 1
        for j, count in enumerate(row):
            if 0 < count < 10:
                assert hidden[i][j]
    for j in range(len(table[0])):
        column = [hidden[i][j] for i in range(len(table))]
        assert sum(column) != 1 or len(table) == 1
