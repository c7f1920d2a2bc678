"""townsquare.nlp must run without Django (it is benchmarked and reused on its own)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]


def test_no_module_of_the_package_imports_django():
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if "tests" not in path.parts
        and re.search(r"^\s*(from|import)\s+django\b", path.read_text(), re.MULTILINE)
    ]
    assert offenders == []


def test_enrichment_runs_with_django_absent():
    code = (
        "import sys\n"
        "sys.modules['django'] = None  # any import of django now fails\n"
        "from townsquare.nlp import enrich\n"
        "result = enrich('Thank you, the bus came on time 😀')\n"
        "assert result.language == 'en', result\n"
        "import townsquare.nlp.train, townsquare.nlp.evaluate\n"
        "print('ok', result.sentiment.label)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=PACKAGE.parents[1],
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok ")
