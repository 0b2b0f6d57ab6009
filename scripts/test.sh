#!/usr/bin/env bash
# Runs the whole test suite, set-up included: Debian packages, local services, the Python
# environment (.venv with requirements-dev.txt), lint, then pytest. Extra arguments go to
# pytest, e.g. `scripts/test.sh tests/videos -x`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_system_packages.sh
bash scripts/start_services.sh
python3 launch.py --setup-only --dev
.venv/bin/ruff check .
.venv/bin/ruff format --check .
exec .venv/bin/python -m pytest "$@"
