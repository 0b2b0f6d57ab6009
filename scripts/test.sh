#!/usr/bin/env bash
# Runs the whole test suite, set-up included: Debian packages, local services, the Python
# environment (.venv with requirements-dev.txt), lint, then pytest in two configurations
# side by side: the embedded default (SQLite + django-q2's ORM broker, every test) and the
# scale-out configuration (PostgreSQL + Redis + SeaweedFS, a real S3 server for the media)
# for the service, worker, API, object-store and recovery tests, the web tier and two GPU
# hosts as three machines that share no folder among them. The two passes share nothing (own
# data folders, ports, databases, Redis databases, object store), so the scale-out pass runs
# in the background while the embedded pass runs, and its output is printed when both are
# done. Extra arguments run only the embedded pass with those pytest arguments, e.g.
# `scripts/test.sh tests/videos -x`.
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

# This run's own Redis databases (N for the test process, N+1 for the services it starts)
# and PostgreSQL database, so another copy of the suite on the same machine never flushes or
# drops ours. A slot is held by a lock for as long as this script runs.
mkdir -p test-artifacts
slot=""
for candidate in 2 4 6 8 10 12 14; do
  exec {slot_lock}>"/tmp/cogvideo-test-slot-$candidate.lock"
  if flock -n "$slot_lock"; then
    slot=$candidate
    break
  fi
  exec {slot_lock}>&-
done
if [ -z "$slot" ]; then
  echo "Seven copies of the test suite are running already; no Redis database is free." >&2
  exit 2
fi

# One math thread per process: the two passes run many small torch processes (test process,
# workers of several live services) on 2 cores; each with a thread per core, their OpenMP
# threads spin against each other and the whole run gets slower, not faster. The tiny
# model's tensors are too small to gain from intra-op threads.
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1

# Embedded-configuration modules that mostly wait (on a real WordPress, a webhook's retry
# backoff, launch.py's restart backoff) run in a third process once the scale-out pass is
# done, beside the rest of the embedded pass: the waits overlap its work.
side_tests=(tests/wordpress tests/clients tests/cms_integration/test_webhooks_live.py tests/test_launch_supervision.py tests/test_launch.py)
side_ignores=()
for path in "${side_tests[@]}"; do side_ignores+=("--ignore=$path"); done

scaleout_log=test-artifacts/scale-out-pass.log
scaleout_rc=test-artifacts/scale-out-pass.rc
side_log=test-artifacts/side-pass.log
side_rc=test-artifacts/side-pass.rc
rm -f "$scaleout_rc" "$side_rc"
setsid bash -c '
  slot=$1 scaleout_log=$2 scaleout_rc=$3 side_log=$4 side_rc=$5
  shift 5
  # Media in a real S3 server: the test process starts SeaweedFS for the session
  # (tests/support/test_env.py), every live service keeps its files there, none on a disk.
  DATABASE_URL="postgres://postgres@127.0.0.1:5432/cogvideo_scaleout_$slot" REDIS_URL="redis://127.0.0.1:6379/$slot" \
    COGVIDEO_TEST_OBJECT_STORE=seaweedfs \
    .venv/bin/python -m pytest -p no:cacheprovider --durations=15 \
    tests/videos/api tests/videos/test_worker.py tests/videos/test_live_service.py tests/videos/recovery \
    tests/videos/test_object_storage.py tests/videos/batch/test_purge.py::test_purge_deletes_the_objects_from_an_object_store \
    -k "not generated_requests_never_break" >"$scaleout_log" 2>&1
  echo $? >"$scaleout_rc"
  .venv/bin/python -m pytest -p no:cacheprovider --durations=10 "$@" >"$side_log" 2>&1
  echo $? >"$side_rc"' background "$slot" "$scaleout_log" "$scaleout_rc" "$side_log" "$side_rc" "${side_tests[@]}" \
  tests/monitoring/test_no_secrets_in_logs.py &  # the secrets scan reads the side pass's logs too
background_pid=$!
trap 'kill -- "-$background_pid" 2>/dev/null || true' EXIT  # its own session: stop all of it

echo "== Embedded configuration: SQLite + ORM broker (the scale-out pass, then the side pass, run beside it) =="
embedded=0
.venv/bin/python -m pytest -p no:cacheprovider --durations=25 "${side_ignores[@]}" || embedded=$?
wait "$background_pid" || true
trap - EXIT
echo "== Scale-out configuration: PostgreSQL + Redis + SeaweedFS (log: $scaleout_log) =="
cat "$scaleout_log"
echo "== Side pass, embedded configuration: ${side_tests[*]} (log: $side_log) =="
cat "$side_log"
scaleout=$(cat "$scaleout_rc" 2>/dev/null || echo 1)
side=$(cat "$side_rc" 2>/dev/null || echo 1)
echo "embedded pass: exit $embedded; scale-out pass: exit $scaleout; side pass: exit $side"
[ "$embedded" -eq 0 ] && [ "$scaleout" -eq 0 ] && [ "$side" -eq 0 ]
