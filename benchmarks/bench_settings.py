"""Settings for the service under benchmark: the production settings, plus one trivial
authenticated endpoint (/api/bench/ping) to compare the status endpoint against.

Only `manage.py benchmark --service` starts servers with this module; production URLs stay
as they are. COGVIDEO_BENCH_NO_THROTTLE=1 leaves the per-token throttles out, to show what
they cost (see benchmarks/README.md).
"""

from __future__ import annotations

import os

from cogvideo_site.settings import *  # noqa: F403 - the production settings, unchanged
from cogvideo_site.settings import REST_FRAMEWORK

ROOT_URLCONF = "benchmarks.bench_urls"

if os.environ.get("COGVIDEO_BENCH_NO_THROTTLE") == "1":
    REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}
