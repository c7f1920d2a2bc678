"""Arabic and Simplified Chinese are complete, and the console is shown in them.

The catalogues (townsquare/locale/*/LC_MESSAGES/django.po) are read with a small parser
below, so the checks need nothing beyond the standard library:

- every message has a translation, none is marked fuzzy, and the headers are right
  (Arabic has six plural forms, Chinese one);
- a translation uses the same named placeholders as its source text, so that
  ``"%(name)s" % params`` can neither raise KeyError nor drop a value. Arabic forms for
  exactly zero, one or two may leave out the number itself ("one result", "two results");
- the compiled catalogue that Django loads matches the .po file (no stale .mo);
- a console page for a user whose language is Arabic is in Arabic and right-to-left, one
  for Chinese is in Chinese, and the audit log shows dates in the user's locale format.
"""

from __future__ import annotations

import ast
import datetime
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.core.management import call_command
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

LOCALE_DIR = Path(settings.LOCALE_PATHS[0])

ARABIC_PLURAL_FORMS = (
    "nplurals=6; plural=n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : "
    "n%100>=3 && n%100<=10 ? 3 : n%100>=11 && n%100<=99 ? 4 : 5;"
)
CATALOGUES = {
    "ar": {"dir": "ar", "nplurals": 6, "plural_forms": ARABIC_PLURAL_FORMS},
    "zh-hans": {"dir": "zh_Hans", "nplurals": 1, "plural_forms": "nplurals=1; plural=0;"},
}
# Arabic plural forms 0, 1 and 2 are used for exactly 0, 1 and 2: they may spell the number out.
ARABIC_EXACT_FORMS = {0, 1, 2}

ARABIC_LETTER = re.compile(r"[\u0621-\u064A]")
HAN_CHARACTER = re.compile(r"[\u4E00-\u9FFF]")
NAMED_PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*(?:\d+|\*)?(?:\.\d+)?[diouxXeEfFgGcrsa]")
POSITIONAL_PLACEHOLDER = re.compile(r"%(?!\()[-#0 +]*(?:\d+|\*)?(?:\.\d+)?[diouxXeEfFgGcrsa]")
BRACE_PLACEHOLDER = re.compile(r"(?<!\{)\{(\w*)(?:[.!:][^{}]*)?\}(?!\})")
HTML_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*")


# --- A small .po parser ------------------------------------------------------------------


@dataclass
class Entry:
    line: int
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    @property
    def label(self) -> str:
        return f"line {self.line}: {self.msgid!r}"


def _unquote(text: str) -> str:
    text = text.strip()
    assert re.fullmatch(r'"(?:[^"\\]|\\.)*"', text), f"not a quoted string: {text}"
    return ast.literal_eval(text)


def _read_keyword(entry: Entry, line: str, where: str) -> tuple[str, int]:
    """Store a ``msgid``/``msgid_plural``/``msgctxt``/``msgstr[n]`` line; return its target."""
    keyword, _, value = line.partition(" ")
    if keyword in ("msgid", "msgid_plural", "msgctxt"):
        setattr(entry, keyword, _unquote(value))
        return (keyword, 0)
    match = re.fullmatch(r"msgstr(?:\[(\d+)\])?", keyword)
    assert match, f"{where}: unknown line {line!r}"
    index = int(match.group(1) or 0)
    entry.msgstr[index] = _unquote(value)
    return ("msgstr", index)


def parse_po(path: Path) -> list[Entry]:
    entries: list[Entry] = []
    entry: Entry | None = None
    target: tuple[str, int] | None = None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            entry, target = None, None
            continue
        if entry is None:
            entry = Entry(line=number)
            entries.append(entry)
        if line.startswith("#~"):
            entry.obsolete = True
        elif line.startswith("#,"):
            entry.flags.update(flag.strip() for flag in line[2:].split(",") if flag.strip())
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            assert target is not None, f"{path}:{number}: continuation without a keyword"
            name, index = target
            if name == "msgstr":
                entry.msgstr[index] += _unquote(line)
            else:
                setattr(entry, name, getattr(entry, name) + _unquote(line))
        else:
            target = _read_keyword(entry, line, f"{path}:{number}")
    return entries


def catalogue(language: str) -> tuple[dict[str, str], list[Entry]]:
    path = LOCALE_DIR / CATALOGUES[language]["dir"] / "LC_MESSAGES" / "django.po"
    assert path.exists(), f"{path} is missing: run `make makemessages`"
    entries = [e for e in parse_po(path) if not e.obsolete]
    header_entries = [e for e in entries if e.msgid == "" and e.msgctxt is None]
    assert len(header_entries) == 1, f"{path} needs exactly one header"
    header = dict(
        line.split(": ", 1) for line in header_entries[0].msgstr[0].splitlines() if ": " in line
    )
    return header, [e for e in entries if e is not header_entries[0]]


def placeholders(text: str) -> tuple[set[str], int, set[str]]:
    without_escapes = text.replace("%%", "")
    return (
        set(NAMED_PLACEHOLDER.findall(without_escapes)),
        len(POSITIONAL_PLACEHOLDER.findall(without_escapes)),
        set(BRACE_PLACEHOLDER.findall(text)),
    )


def count_placeholder(entry: Entry) -> str | None:
    """The placeholder that carries the number, when it can be told apart."""
    names = NAMED_PLACEHOLDER.findall(entry.msgid_plural or "")
    if "counter" in names:  # {% blocktranslate count counter=... %}
        return "counter"
    if len(set(names)) == 1:  # the only placeholder of a plural is the number
        return names[0]
    numeric = {
        m.group(1)
        for m in NAMED_PLACEHOLDER.finditer(entry.msgid_plural or "")
        if m.group(0)[-1] in "di"
    }
    return numeric.pop() if len(numeric) == 1 else None


def placeholder_problems(language: str, entry: Entry) -> list[str]:
    problems = []
    brace = "python-brace-format" in entry.flags
    if entry.msgid_plural is None:
        expected = placeholders(entry.msgid)
        got = placeholders(entry.msgstr[0])
        if expected[:2] != got[:2] or (brace and expected[2] != got[2]):
            problems.append(f"{entry.label}: placeholders {expected} but translation has {got}")
        return problems
    expected = placeholders(entry.msgid_plural)
    counter = count_placeholder(entry)
    for index, text in sorted(entry.msgstr.items()):
        named, positional, braces = placeholders(text)
        allowed = [expected[0]]
        if language == "ar" and index in ARABIC_EXACT_FORMS and counter:
            allowed.append(expected[0] - {counter})
        if named not in allowed or positional != expected[1] or (brace and braces != expected[2]):
            problems.append(
                f"{entry.label}: form {index} has {named or positional} "
                f"but {expected[0] or expected[1]} is expected"
            )
    return problems


# --- The catalogues are complete ----------------------------------------------------------


@pytest.mark.parametrize("language", CATALOGUES)
def test_header_names_language_charset_and_plural_rule(language):
    header, _ = catalogue(language)
    assert header.get("Language") == CATALOGUES[language]["dir"]
    assert header.get("Content-Type") == "text/plain; charset=UTF-8"
    assert header.get("Project-Id-Version", "").startswith("Townsquare")
    assert header.get("Plural-Forms") == CATALOGUES[language]["plural_forms"]


@pytest.mark.parametrize("language", CATALOGUES)
def test_every_message_is_translated_and_checked(language):
    _, entries = catalogue(language)
    assert len(entries) > 100, "the catalogue looks empty: run `make makemessages`"
    nplurals = CATALOGUES[language]["nplurals"]
    problems = []
    for entry in entries:
        if "fuzzy" in entry.flags:
            problems.append(f"{entry.label}: marked fuzzy")
        wanted = list(range(nplurals)) if entry.msgid_plural is not None else [0]
        if sorted(entry.msgstr) != wanted:
            problems.append(f"{entry.label}: forms {sorted(entry.msgstr)}, expected {wanted}")
        problems += [f"{entry.label}: form {i} is empty" for i, s in entry.msgstr.items() if not s]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", CATALOGUES)
def test_translations_keep_the_markup(language):
    """``<code>``, ``<bdi>`` and other tags in a message come back in its translation."""
    _, entries = catalogue(language)
    problems = []
    for entry in entries:
        source = sorted(HTML_TAG.findall(entry.msgid_plural or entry.msgid))
        for index, text in entry.msgstr.items():
            if sorted(HTML_TAG.findall(text)) != source:
                problems.append(f"{entry.label}: form {index} has other tags than {source}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", CATALOGUES)
def test_translations_keep_the_placeholders(language):
    _, entries = catalogue(language)
    problems = [p for entry in entries for p in placeholder_problems(language, entry)]
    assert not problems, "\n".join(problems)


def test_placeholder_check_catches_mistakes():
    """The checker itself: a dropped, renamed or extra placeholder is a failure."""
    singular = Entry(line=1, msgid="Welcome, %(name)s", msgstr={0: "مرحبًا، %(nom)s"})
    assert placeholder_problems("ar", singular)
    singular.msgstr[0] = "مرحبًا، %(name)s"
    assert not placeholder_problems("ar", singular)
    plural = Entry(
        line=2,
        msgid="%(counter)s result for “%(query)s”",
        msgid_plural="%(counter)s results for “%(query)s”",
        msgstr={0: "لا نتائج عن %(query)s", 1: "نتيجة واحدة عن %(query)s",
                2: "نتيجتان عن %(query)s", 3: "%(counter)s نتائج عن %(query)s",
                4: "%(counter)s نتيجة عن %(query)s", 5: "%(counter)s نتيجة عن %(query)s"},
    )  # fmt: skip
    assert not placeholder_problems("ar", plural)
    plural.msgstr[4] = "نتائج عن %(query)s"  # the count left out where it is needed
    assert placeholder_problems("ar", plural)
    plural.msgstr[4] = "%(counter)s نتيجة"  # the query left out
    assert placeholder_problems("ar", plural)
    chinese = Entry(line=3, msgid=plural.msgid, msgid_plural=plural.msgid_plural,
                    msgstr={0: "“%(query)s”的搜索结果"})  # fmt: skip
    assert placeholder_problems("zh-hans", chinese)


@pytest.mark.xdist_group("translations")
def test_catalogues_hold_every_marked_string(tmp_path, settings, monkeypatch):
    """Run makemessages on a copy of the code: no marked string may be missing from the .po.

    A new {% translate %} or gettext() call fails here until `make makemessages` is run and
    the new entries are translated.
    """
    assert shutil.which("xgettext"), "gettext is needed (the Makefile installs it)"
    package = LOCALE_DIR.parent
    copy = tmp_path / package.name
    shutil.copytree(
        package,
        copy,
        ignore=shutil.ignore_patterns("static", "locale", "__pycache__", "*.pyc", "*.mo"),
    )
    (copy / "locale").mkdir()
    settings.LOCALE_PATHS = [str(copy / "locale")]
    monkeypatch.chdir(copy)
    call_command("makemessages", locale=["ar"], verbosity=0, ignore_patterns=["static/*"])
    fresh = parse_po(copy / "locale" / "ar" / "LC_MESSAGES" / "django.po")
    wanted = {(e.msgctxt, e.msgid) for e in fresh if e.msgid}
    for language in CATALOGUES:
        _, entries = catalogue(language)
        missing = wanted - {(e.msgctxt, e.msgid) for e in entries}
        assert not missing, (
            f"{len(missing)} marked strings are not in the {language} catalogue: run "
            f"`make makemessages` and translate them: {sorted(m[1] for m in missing)[:20]}"
        )


def test_parser_reads_flags_plurals_and_continuations(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: ar\\n"\n\n'
        '#, fuzzy, python-format\nmsgid "a %(x)s"\nmsgstr ""\n"ب "\n"%(x)s"\n\n'
        'msgid "one"\nmsgid_plural "many"\nmsgstr[0] "x"\nmsgstr[1] ""\n',
        encoding="utf-8",
    )
    header, fuzzy, plural = parse_po(po)
    assert header.msgstr[0] == "Language: ar\n"
    assert fuzzy.flags == {"fuzzy", "python-format"}
    assert fuzzy.msgstr[0] == "ب %(x)s"
    assert plural.msgid_plural == "many"
    assert plural.msgstr == {0: "x", 1: ""}


# --- Django uses them -------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _back_to_default_language():
    """A request as an Arabic or Chinese user leaves that language active in this thread."""
    yield
    translation.deactivate()


@pytest.fixture
def compiled_catalogues(settings):
    """Compile the .po files when a .mo is missing or older, then reload the catalogues."""
    stale = []
    for spec in CATALOGUES.values():
        po = LOCALE_DIR / spec["dir"] / "LC_MESSAGES" / "django.po"
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            stale.append(spec["dir"])
    if stale:
        call_command("compilemessages", locale=stale, verbosity=0)
    # Changing LOCALE_PATHS makes Django drop its cached catalogues (and again on restore).
    settings.LOCALE_PATHS = list(settings.LOCALE_PATHS)


@pytest.mark.xdist_group("translations")
@pytest.mark.parametrize("language", CATALOGUES)
def test_compiled_catalogue_matches_the_po_file(language, compiled_catalogues):
    _, entries = catalogue(language)
    nplurals = CATALOGUES[language]["nplurals"]
    samples = {0: 0, 1: 1, 2: 2, 3: 5, 4: 11, 5: 100} if nplurals == 6 else {0: 7}
    problems = []
    with translation.override(language):
        for entry in entries:
            if entry.msgid_plural is None:
                got = (
                    translation.pgettext(entry.msgctxt, entry.msgid)
                    if entry.msgctxt is not None
                    else translation.gettext(entry.msgid)
                )
                if got != entry.msgstr[0]:
                    problems.append(f"{entry.label}: Django gives {got!r}")
                continue
            for index, n in samples.items():
                if entry.msgctxt is not None:
                    got = translation.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, n)
                else:
                    got = translation.ngettext(entry.msgid, entry.msgid_plural, n)
                if got != entry.msgstr[index]:
                    problems.append(f"{entry.label}: n={n} Django gives {got!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
@pytest.mark.xdist_group("translations")
def test_console_in_arabic_is_right_to_left(bob, client_for, compiled_catalogues):
    bob.language = "ar"
    bob.save(update_fields=["language"])
    html = client_for(bob).get(reverse("console:home")).content.decode()
    assert '<html lang="ar" dir="rtl">' in html
    with translation.override("ar"):
        staff_console = translation.gettext("Staff console")
        sign_out = translation.gettext("Sign out")
    assert ARABIC_LETTER.search(staff_console)
    assert ARABIC_LETTER.search(sign_out)
    assert staff_console in html
    assert sign_out in html
    assert "Staff console" not in html
    assert "Sign out" not in html
    assert "townsquare.rtl.css" in html


@pytest.mark.django_db
@pytest.mark.xdist_group("translations")
def test_console_in_chinese(dana, client_for, compiled_catalogues):
    dana.language = "zh-hans"
    dana.save(update_fields=["language"])
    html = client_for(dana).get(reverse("console:home")).content.decode()
    assert '<html lang="zh-hans" dir="ltr">' in html
    with translation.override("zh-hans"):
        staff_console = translation.gettext("Staff console")
    assert HAN_CHARACTER.search(staff_console)
    assert staff_console in html
    assert "Staff console" not in html


def audit_log_time_text(user, client_for, language: str) -> str:
    """The audit log as ``user`` sees it in ``language``: the text of one known entry."""
    from townsquare.core.services import audit_record

    when = datetime.datetime(2026, 3, 5, 15, 30, tzinfo=datetime.UTC)
    with mock.patch("django.utils.timezone.now", return_value=when):
        audit_record(
            actor=user,
            action="translations.check",
            organisation=user.memberships.first().organisation,
        )
    user.language, user.time_zone = language, "UTC"
    user.save(update_fields=["language", "time_zone"])
    html = client_for(user).get(reverse("console:audit_log")).content.decode()
    match = re.search(r'<time datetime="2026-03-05T15:30:00\+00:00">([^<]+)</time>', html)
    assert match, "the audit entry is not on the page"
    return match.group(1)


@pytest.mark.django_db
@pytest.mark.xdist_group("translations")
def test_audit_log_dates_follow_the_users_locale(alice, client_for, compiled_catalogues):
    english = audit_log_time_text(alice, client_for, "en")
    assert "p.m." in english
    arabic = audit_log_time_text(alice, client_for, "ar")
    assert "2026" in arabic
    assert "p.m." not in arabic
    assert ARABIC_LETTER.search(arabic), f"no Arabic in the Arabic date {arabic!r}"
    chinese = audit_log_time_text(alice, client_for, "zh-hans")
    assert "2026年3月5日" in chinese
    assert "15:30" in chinese


@pytest.mark.xdist_group("translations")
def test_long_dates_use_arabic_and_chinese_month_names(compiled_catalogues):
    template = Template('{{ when|date:"DATE_FORMAT" }}')
    context = Context({"when": datetime.date(2026, 3, 5)})
    with translation.override("ar"):
        arabic = template.render(context)
    with translation.override("zh-hans"):
        chinese = template.render(context)
    assert "مارس" in arabic
    assert "March" not in arabic
    assert chinese == "2026年3月5日"
