"""Opinion groups: planted groups are recovered, bad votes are refused, and the analysis
never crashes and always gives the same answer for the same votes."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import adjusted_rand_score

from townsquare.engagement.opinion_groups import (
    REASON_NO_VOTES,
    REASON_TOO_FEW_PARTICIPANTS,
    REASON_TOO_FEW_STATEMENTS,
    analyse,
)

CONSENSUS_STATEMENTS = (100, 101)


def planted(*, groups=3, size=30, statements=12, noise=0.1, skip=0.2, seed=1):
    """Group g agrees with statements s where s % groups == g and disagrees with the rest;
    everyone agrees with the consensus statements. Some votes are missing, some noisy."""
    rng = random.Random(seed)
    votes, truth = [], {}
    for g in range(groups):
        for i in range(size):
            person = f"g{g}-{i}"
            truth[person] = g
            for s in (*range(statements), *CONSENSUS_STATEMENTS):
                if rng.random() < skip:
                    continue
                wanted = 1 if s in CONSENSUS_STATEMENTS or s % groups == g else -1
                votes.append((person, s, wanted if rng.random() > noise
                              else rng.choice((-1, 0, 1))))
    return votes, truth


def _ari(analysis, truth):
    people = sorted(analysis.membership)
    return adjusted_rand_score([truth[p] for p in people],
                               [analysis.membership[p] for p in people])


@pytest.mark.parametrize("groups", [2, 3, 4])
def test_planted_groups_are_recovered(groups):
    votes, truth = planted(groups=groups)
    result = analyse(votes)
    assert result.enough_data and result.reason == ""
    assert len(result.groups) == groups
    assert _ari(result, truth) > 0.85
    assert set(result.consensus) >= set(CONSENSUS_STATEMENTS)
    assert set(result.coordinates) == set(truth)


def test_what_each_group_thinks_and_its_representative_statements():
    votes, truth = planted(groups=3, noise=0.0, skip=0.0)
    result = analyse(votes)
    for group in result.groups:
        members = [p for p, g in result.membership.items() if g == group.label]
        planted_group = truth[members[0]]
        assert all(truth[m] == planted_group for m in members)
        own = [s for s in range(12) if s % 3 == planted_group]
        assert all(group.agree[s] == 1.0 for s in own)
        assert all(group.disagree[s] == 1.0 for s in range(12) if s not in own)
        # Its own statements are what sets it apart.
        assert set(own) <= set(group.representative)
        assert not set(CONSENSUS_STATEMENTS) & set(group.representative)
    # Every planted statement splits one group from the others.
    assert result.divisive and set(result.divisive) <= set(range(12))
    assert result.groups[0].participants >= result.groups[-1].participants


def test_chosen_k_is_used():
    votes, _ = planted(groups=3)
    assert len(analyse(votes, k=2).groups) == 2
    assert len(analyse(votes, k=5).groups) == 5


@pytest.mark.parametrize(("vote", "message"), [
    (("p", 1, 2), "vote must be -1, 0 or 1"),
    (("p", 1, "1"), "vote must be -1, 0 or 1"),
    (("p", 1, True), "vote must be -1, 0 or 1"),
    (("p", 1, 0.5), "vote must be -1, 0 or 1"),
    (("p", "one", 1), "statement id must be an integer"),
    (("", 1, 1), "participant key must be a non-empty string"),
    ((7, 1, 1), "participant key must be a non-empty string"),
    (("p", 1), "expected (participant, statement, vote)"),
    (None, "expected (participant, statement, vote)"),
])
def test_malformed_votes_are_refused_by_position(vote, message):
    with pytest.raises(ValueError, match=r"vote 1: .*") as error:
        analyse([("ok", 1, 1), vote])
    assert message in str(error.value)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="k must be"):
        analyse([], k=1)
    with pytest.raises(ValueError, match="min_participants"):
        analyse([], min_participants=1)


def test_the_last_of_duplicate_votes_wins():
    votes, _ = planted(groups=2, noise=0.0, skip=0.0)
    # Everyone of group 0 first agrees with statement 1, then changes their mind.
    changed = votes + [(f"g0-{i}", 1, 1) for i in range(30)] + \
        [(f"g0-{i}", 1, -1) for i in range(30)]
    result = analyse(changed)
    group = next(g for g in result.groups
                 if result.membership["g0-0"] == g.label)
    assert group.disagree[1] == 1.0 and group.agree[1] == 0.0


def test_not_enough_data_says_why():
    assert analyse([]).reason == REASON_NO_VOTES
    one_statement = [(f"p{i}", 1, 1) for i in range(50)]
    result = analyse(one_statement)
    assert not result.enough_data and result.reason == REASON_TOO_FEW_STATEMENTS
    assert result.groups == [] and result.coordinates == {}
    few = [(f"p{i}", s, 1) for i in range(6) for s in range(5)]
    result = analyse(few)
    assert result.reason == REASON_TOO_FEW_PARTICIPANTS
    # Participants with too few votes do not count towards the minimum.
    sparse = few + [(f"q{i}", 1, -1) for i in range(20)]
    result = analyse(sparse)
    assert result.reason == REASON_TOO_FEW_PARTICIPANTS
    assert result.participants_left_out == 20


def test_everyone_agreeing_is_one_group_with_consensus():
    votes = [(f"p{i}", s, 1) for i in range(20) for s in range(6)]
    result = analyse(votes)
    assert result.enough_data
    assert len(result.groups) == 1 and result.groups[0].participants == 20
    assert result.consensus == list(range(6))
    assert result.divisive == []
    assert result.groups[0].representative == []


def test_order_of_votes_does_not_matter():
    votes, _ = planted(groups=3)
    shuffled = votes[:]
    random.Random(5).shuffle(shuffled)
    assert analyse(votes) == analyse(shuffled)


vote_lists = st.lists(
    st.tuples(st.sampled_from([f"p{i}" for i in range(15)]), st.integers(0, 6),
              st.sampled_from([-1, 0, 1])),
    max_size=120)


@settings(max_examples=60, deadline=None)
@given(votes=vote_lists, k=st.one_of(st.none(), st.integers(2, 6)), seed=st.integers(0, 3))
def test_never_crashes_and_is_deterministic(votes, k, seed):
    first = analyse(votes, k=k, seed=seed, min_participants=3)
    assert first == analyse(list(votes), k=k, seed=seed, min_participants=3)
    if first.enough_data:
        assert sum(g.participants for g in first.groups) == len(first.coordinates)
        assert set(first.membership) == set(first.coordinates)
        for group in first.groups:
            for statement, share in group.agree.items():
                assert 0.0 <= share + group.disagree[statement] <= 1.0 + 1e-9
        assert len(first.groups) <= max(k or 5, 1)
    else:
        assert first.reason and first.groups == []
