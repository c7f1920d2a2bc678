"""Starts one Huey consumer process for the multi-worker test (test helper).

Run as ``python tests/huey_worker.py`` with REDIS_URL and HUEY_QUEUE_NAME set: Django's
settings then choose RedisHuey, exactly as in a multi-host deployment. The consumer is
built as ``manage.py run_huey`` builds it, plus the probe task of tests/huey_probe.py.
SIGINT stops it gracefully (in-flight tasks finish).
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "townsquare.settings")
    if not os.environ.get("REDIS_URL"):
        raise SystemExit("huey_worker.py needs REDIS_URL")

    import django

    django.setup()
    from django.conf import settings
    from django.utils.module_loading import autodiscover_modules
    from huey.consumer_options import ConsumerConfig
    from huey.contrib.djhuey import HUEY

    from tests.huey_probe import register_probe

    autodiscover_modules("tasks")
    register_probe(HUEY)

    options = dict(settings.HUEY.get("consumer", {}))
    # The product's periodic jobs would touch this process's database; not the point here.
    options.update(periodic=False, shutdown_timeout=30)
    config = ConsumerConfig(**options)
    config.validate()
    logger = logging.getLogger("huey")
    if not logger.handlers:
        config.setup_logger(logger)
    logger.setLevel(logging.WARNING)
    HUEY.create_consumer(**config.values).run()


if __name__ == "__main__":
    main()
