"""XLSX (read back from the sheet XML: openpyxl is not installed) and the PDF report (read
back with pypdf) in English, Arabic and Chinese."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from defusedxml import ElementTree
from django.urls import reverse
from pypdf import PdfReader

from townsquare.core.models import AuditEvent
from townsquare.engagement.export_pdf import survey_pdf

from .test_console import _paper

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
INJECTION = "=HYPERLINK(\"http://x\")"


@pytest.fixture
def answered(survey, alice, settings):
    settings.ENGAGEMENT_SMALL_CELL_K = 10
    _paper(survey, alice, 30, "north")
    _paper(survey, alice, 12, "south", happy="no", ideas=INJECTION)
    _paper(survey, alice, 3, "east")
    return survey


def _sheets(content: bytes) -> dict[str, list[list[object]]]:
    """Each worksheet as rows of cell values (strings and numbers), by sheet name."""
    archive = zipfile.ZipFile(io.BytesIO(content))
    shared = [
        "".join(t.text or "" for t in item.iter(f"{{{NS['m']}}}t"))
        for item in ElementTree.fromstring(archive.read("xl/sharedStrings.xml"))
    ]
    book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    names = [sheet.get("name") for sheet in book.find("m:sheets", NS)]
    sheets = {}
    for index, name in enumerate(names, start=1):
        xml = archive.read(f"xl/worksheets/sheet{index}.xml")
        assert b"<f>" not in xml and b"<f " not in xml  # no formula anywhere
        rows = []
        for row in ElementTree.fromstring(xml).iter(f"{{{NS['m']}}}row"):
            cells: list[object] = []
            for cell in row.findall("m:c", NS):
                column = re.match(r"[A-Z]+", cell.get("r")).group(0)
                position = sum((ord(c) - 64) * 26 ** i for i, c in enumerate(reversed(column)))
                while len(cells) < position - 1:
                    cells.append(None)
                value = cell.find("m:v", NS)
                if cell.get("t") == "s":
                    cells.append(shared[int(value.text)])
                else:
                    number = float(value.text)
                    cells.append(int(number) if number.is_integer() else number)
            rows.append(cells)
        sheets[name] = rows
    return sheets


@pytest.mark.django_db
def test_xlsx_has_responses_and_results_and_no_formulas(client_for, answered, alice, carol):
    response = client_for(alice).get(reverse("engagement:export_xlsx", args=[answered.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheets = _sheets(response.content)
    responses = sheets["Responses"]
    assert responses[0][:6] == ["response", "submitted_at", "channel", "paper", "region",
                                "age_band"]
    assert len(responses) == 46
    assert all(isinstance(row[0], int) for row in responses[1:])
    ideas = responses[0].index("ideas")
    # The same escaping as the CSV export: an apostrophe in front of a formula.
    assert sum(row[ideas] == "'" + INJECTION for row in responses[1:]
               if len(row) > ideas) == 12
    results = sheets["Results"]
    assert results[0] == ["Responses", 45]
    flat = [tuple(row) for row in results]
    assert (None, "Yes", 33, pytest.approx(33 / 45)) in [
        (r[0] if r else None, *r[1:4]) for r in flat if len(r) >= 4]
    assert any("more than 100 per cent" in str(cell) for row in results for cell in row)
    assert AuditEvent.objects.filter(action="survey.exported", details__format="xlsx").exists()
    assert client_for(carol).get(
        reverse("engagement:export_xlsx", args=[answered.pk])).status_code == 404


def _text(content: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(content))
    return len(reader.pages), "\n".join(page.extract_text() or "" for page in reader.pages)


@pytest.mark.django_db
def test_pdf_report_in_english(client_for, answered, alice):
    response = client_for(alice).get(reverse("engagement:report_pdf", args=[answered.pk])
                                     + "?lang=en")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pages, text = _text(response.content)
    assert pages >= 2
    assert "Bus service survey" in text and "45 responses sent" in text
    assert "By Region" in text and "suppressed" in text  # East and South are hidden
    assert "Chi-square test of independence" in text
    assert "shares can add up to more than 100 per cent" in text  # multiple choice note
    assert "Share of respondents" in text  # the chart's axis title, from the SVG
    assert "HYPERLINK" not in text  # no free text in a report
    assert AuditEvent.objects.filter(action="survey.exported", details__format="pdf").exists()


@pytest.mark.django_db
def test_pdf_report_in_arabic_and_chinese(answered):
    pages, text = _text(survey_pdf(answered, "ar"))
    assert pages >= 2
    # The Arabic title of the survey and of a question, shaped by Pango.
    assert "الحافلات" in text or "تﻼﻓﺎﺤﻟا" in text or "ﺍﻟﺤﺎﻓﻼﺕ" in text, text[:400]
    pages, text = _text(survey_pdf(answered, "zh-hans"))
    assert pages >= 2 and re.search(r"[\u4e00-\u9fff]", text), text[:400]


@pytest.mark.django_db
def test_bad_report_language_is_refused_clearly(client_for, answered, alice):
    client = client_for(alice)
    response = client.get(reverse("engagement:report_pdf", args=[answered.pk]) + "?lang=xx",
                          follow=True)
    assert "Choose one of the report languages" in response.content.decode()
    with pytest.raises(ValueError, match="unknown report language"):
        survey_pdf(answered, "klingon")
