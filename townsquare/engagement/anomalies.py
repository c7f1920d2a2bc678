"""The anomaly report for organisers: signs that a survey or poll is being gamed.

No CAPTCHA (it shuts out people with assistive technology); instead the organiser sees
clear findings with counts and times, and decides what to do with them:

- **Bursts from one address**: at least ``BURST_MIN`` responses (or votes) started from one
  network address within ``BURST_WINDOW``. The address is never stored: each response and
  vote keeps a keyed hash of it, scoped to its survey or poll (so two surveys cannot be
  linked), and the report names it by the first characters of that hash.
- **Many new verified respondents from one email domain**: at least ``DOMAIN_MIN`` in
  ``DOMAIN_WINDOW``, making up more than half of the verified starts of that window (so a
  big webmail provider in a busy survey is not flagged just for being big).
- **Implausibly fast completion**: submitted in under ``SECONDS_PER_QUESTION`` per question
  (at least ``MIN_SECONDS``) from the first page. Paper responses are left out.
- **Identical free-text answers**: the same text (ignoring case and spacing), at least
  ``IDENTICAL_MIN`` characters long, given by ``IDENTICAL_COUNT`` or more responses.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from townsquare.core.request_context import current_origin
from townsquare.engagement.identity import keyed_hash
from townsquare.engagement.models import Poll, QuestionKind, Survey
from townsquare.engagement.selectors import submitted_responses, survey_questions

BURST_MIN = 20
BURST_WINDOW = dt.timedelta(minutes=10)
DOMAIN_MIN = 10
DOMAIN_WINDOW = dt.timedelta(hours=1)
SECONDS_PER_QUESTION = 2
MIN_SECONDS = 10
IDENTICAL_MIN = 10
IDENTICAL_COUNT = 3
EXAMPLE_LENGTH = 120
HASH_SHOWN = 8


def current_address_key(scope: str) -> str:
    """A keyed hash of the current request's network address for ``scope`` (e.g.
    ``survey:12``); empty outside a request (staff tools, tasks)."""
    origin = current_origin()
    address = (origin.ip_address or "") if origin else ""
    return keyed_hash(f"address:{scope}", address) if address else ""


def email_domain(email: str) -> str:
    """The domain of an (already validated) email address, lower case."""
    return email.rsplit("@", 1)[-1].strip().lower()[:253] if "@" in email else ""


@dataclass
class Finding:
    kind: str  # burst, domain, fast, identical
    summary: str
    count: int
    first: dt.datetime | None = None
    last: dt.datetime | None = None
    details: list[str] = field(default_factory=list)


@dataclass
class AnomalyReport:
    total: int
    findings: list[Finding]
    # What was checked, so "no findings" is meaningful.
    checked: list[str]


def _densest_window(times: list[dt.datetime], window: dt.timedelta,
                    ) -> tuple[int, dt.datetime, dt.datetime]:
    """The most events inside any window of this length: (count, first, last)."""
    times = sorted(times)  # never empty: callers pass the times of at least one event
    best = (0, times[0], times[0])
    start = 0
    for end, moment in enumerate(times):
        while moment - times[start] > window:
            start += 1
        if end - start + 1 > best[0]:
            best = (end - start + 1, times[start], moment)
    return best


def _bursts(rows: Iterable[tuple[str, dt.datetime]], message: str) -> list[Finding]:
    """``message`` has %(count)s, %(address)s, %(minutes)s and %(total)s."""
    by_address: dict[str, list[dt.datetime]] = defaultdict(list)
    for key, moment in rows:
        if key:
            by_address[key].append(moment)
    findings = []
    for key, times in by_address.items():
        count, first, last = _densest_window(times, BURST_WINDOW)
        if count < BURST_MIN:
            continue
        findings.append(Finding(
            kind="burst", count=count, first=first, last=last,
            summary=message % {
                "count": count, "address": key[:HASH_SHOWN],
                "minutes": int(BURST_WINDOW.total_seconds() // 60), "total": len(times)}))
    return sorted(findings, key=lambda f: -f.count)


def _domains(rows: list[tuple[str, dt.datetime]]) -> list[Finding]:
    all_times = sorted(moment for _domain, moment in rows)
    by_domain: dict[str, list[dt.datetime]] = defaultdict(list)
    for domain, moment in rows:
        if domain:
            by_domain[domain].append(moment)
    findings = []
    for domain, times in by_domain.items():
        count, first, last = _densest_window(times, DOMAIN_WINDOW)
        if count < DOMAIN_MIN:
            continue
        in_window = sum(1 for moment in all_times if first <= moment <= last)
        if count * 2 <= in_window:
            continue
        findings.append(Finding(
            kind="domain", count=count, first=first, last=last,
            summary=_("%(count)s new verified respondents with addresses at %(domain)s "
                      "started within %(minutes)s minutes (%(count)s of the %(window)s "
                      "verified starts in that time).") % {
                "count": count, "domain": domain, "window": in_window,
                "minutes": int(DOMAIN_WINDOW.total_seconds() // 60)}))
    return sorted(findings, key=lambda f: -f.count)


def _fast(durations: list[tuple[float, dt.datetime]], questions: int) -> list[Finding]:
    if not durations:
        return []
    limit = max(MIN_SECONDS, SECONDS_PER_QUESTION * questions)
    fast = sorted((seconds, moment) for seconds, moment in durations if seconds < limit)
    if not fast:
        return []
    times = [moment for _seconds, moment in fast]
    return [Finding(
        kind="fast", count=len(fast), first=min(times), last=max(times),
        summary=_("%(count)s responses were completed in under %(limit)s seconds for "
                  "%(questions)s questions (the fastest took %(fastest)s seconds; the median "
                  "response took %(median)s seconds).") % {
            "count": len(fast), "limit": limit, "questions": questions,
            "fastest": round(fast[0][0]),
            "median": round(statistics.median(s for s, _m in durations))})]


def _normalised(text: str) -> str:
    return " ".join(text.split()).casefold()


def _identical(rows: Iterable[tuple[str, object, dt.datetime]]) -> list[Finding]:
    groups: dict[tuple[str, str], list[tuple[dt.datetime, str]]] = defaultdict(list)
    for question, text, moment in rows:
        if not isinstance(text, str):
            continue
        key = _normalised(text)
        if len(key) >= IDENTICAL_MIN:
            groups[(question, key)].append((moment, text))
    findings = []
    for (question, _key), answers in groups.items():
        if len(answers) < IDENTICAL_COUNT:
            continue
        times = [moment for moment, _text in answers]
        example = " ".join(answers[0][1].split())
        if len(example) > EXAMPLE_LENGTH:
            example = example[:EXAMPLE_LENGTH] + "…"
        findings.append(Finding(
            kind="identical", count=len(answers), first=min(times), last=max(times),
            summary=_("%(count)s responses gave the same answer to “%(question)s”.") % {
                "count": len(answers), "question": question},
            details=[example]))
    return sorted(findings, key=lambda f: -f.count)


def survey_anomalies(survey: Survey) -> AnomalyReport:
    responses = survey.responses.filter(is_paper=False)
    findings = _bursts(responses.values_list("address_key", "created_at"), _(
        "%(count)s responses were started from one network address (%(address)s) within "
        "%(minutes)s minutes; %(total)s in all from that address."))
    findings += _domains(list(responses.exclude(respondent_key="").values_list(
        "email_domain", "created_at")))
    questions = survey_questions(survey)
    durations = [((submitted - started).total_seconds(), submitted)
                 for started, submitted in submitted_responses(survey).filter(is_paper=False)
                 .values_list("created_at", "submitted_at") if submitted is not None]
    findings += _fast(durations, len(questions))
    texts = {q.pk: str(q) for q in questions if q.kind == QuestionKind.TEXT}
    findings += _identical(
        (texts[question_id], value, moment)
        for question_id, value, moment in submitted_responses(survey)
        .filter(answers__question_id__in=list(texts)).order_by("submitted_at", "pk")
        .values_list("answers__question_id", "answers__value", "submitted_at")
        if moment is not None)
    return AnomalyReport(
        total=survey.responses.count(), findings=findings,
        checked=[str(_("bursts of responses from one network address")),
                 str(_("many new verified respondents from one email domain")),
                 str(_("implausibly fast completion")),
                 str(_("identical free-text answers"))])


def poll_anomalies(poll: Poll) -> AnomalyReport:
    return AnomalyReport(
        total=poll.votes.count(),
        findings=_bursts(poll.votes.values_list("address_key", "created_at"), _(
            "%(count)s votes came from one network address (%(address)s) within %(minutes)s "
            "minutes; %(total)s in all from that address.")),
        checked=[str(_("bursts of votes from one network address"))])
