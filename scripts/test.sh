#!/usr/bin/env bash
# Runs the whole test suite, set-up included: Debian packages, local services, the Python
# environment (.venv with requirements-dev.txt), lint, then pytest twice: the embedded
# default (SQLite + django-q2's ORM broker) and the scale-out configuration (PostgreSQL +
# Redis) for the service, worker, API and recovery tests. Extra arguments run only the first
# pass with those pytest arguments, e.g. `scripts/test.sh tests/videos -x`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_system_packages.sh
bash scripts/start_services.sh
python3 launch.py --setup-only --dev
.venv/bin/ruff check .
.venv/bin/ruff format --check .
if [ $# -gt 0 ]; then
  exec .venv/bin/python -m pytest "$@"
fi
echo "== Embedded configuration: SQLite + ORM broker =="
.venv/bin/python -m pytest -p no:cacheprovider --durations=25
echo "== Scale-out configuration: PostgreSQL + Redis =="
DATABASE_URL="postgres://postgres@127.0.0.1:5432/cogvideo_scaleout" REDIS_URL="redis://127.0.0.1:6379/5" \
  .venv/bin/python -m pytest -p no:cacheprovider --durations=15 \
  tests/videos/api tests/videos/test_worker.py tests/videos/test_live_service.py tests/videos/recovery \
  -k "not generated_requests_never_break"
