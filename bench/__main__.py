"""Runs every benchmark on a throwaway database and prints its figures.

python -m bench            # all benchmarks
python -m bench inbound    # one of them
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

BENCHMARKS = ("inbound", "plain_language", "archive", "nlp", "ingest", "inbox", "archive_export",
              "opinion_groups")


def main(argv: list[str]) -> int:
    names = argv or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="townsquare-bench-"))
    os.environ.setdefault("DATA_DIR", str(workdir))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "townsquare.settings")
    os.environ.setdefault("FAST_PASSWORD_HASHER", "1")
    import django
    from django.core.management import call_command

    django.setup()
    from django.conf import settings

    print(f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}")
    call_command("migrate", verbosity=0)
    for name in names:
        module = __import__(f"bench.{name}", fromlist=["run"])
        started = time.perf_counter()
        module.run()
        print(f"[{name}] finished in {time.perf_counter() - started:.1f} s\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
