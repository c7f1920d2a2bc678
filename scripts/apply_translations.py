"""Fills catalogue entries from JSON files of translations.

    .venv/bin/python scripts/apply_translations.py FILE.json [FILE.json ...]

Each file maps a msgid to {"ar": "...", "zh_Hans": "..."}; a plural entry is keyed
"msgid||msgid_plural" and maps each language to a list of forms. Only entries present in
the catalogues (after `make makemessages`) are filled; fuzzy flags on them are cleared.
Prints what it filled and which catalogue entries are still untranslated.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import polib

LOCALE = Path(__file__).resolve().parent.parent / "townsquare" / "locale"
LANGUAGES = ("ar", "zh_Hans")


def _load(paths: list[str]) -> dict[str, dict[str, object]]:
    merged: dict[str, dict[str, object]] = {}
    for path in paths:
        for key, value in json.loads(Path(path).read_text(encoding="utf-8")).items():
            merged.setdefault(key, {}).update(value)
    return merged


def main(paths: list[str]) -> int:
    translations = _load(paths)
    for language in LANGUAGES:
        po_path = LOCALE / language / "LC_MESSAGES" / "django.po"
        catalogue = polib.pofile(str(po_path), wrapwidth=0)
        filled = 0
        for entry in catalogue:
            key = f"{entry.msgid}||{entry.msgid_plural}" if entry.msgid_plural else entry.msgid
            value = translations.get(key, {}).get(language)
            if value is None:
                continue
            if entry.msgid_plural and isinstance(value, list):
                entry.msgstr_plural = dict(enumerate(value))
            elif isinstance(value, str):
                entry.msgstr = value
            else:
                continue
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
                entry.previous_msgid = None
                entry.previous_msgid_plural = None
                entry.previous_msgctxt = None
            filled += 1
        catalogue.save(str(po_path))
        missing = [e.msgid for e in catalogue if not e.translated() and not e.obsolete]
        print(f"{language}: filled {filled}, still untranslated {len(missing)}")
        for msgid in missing:
            print(f"  - {msgid!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
