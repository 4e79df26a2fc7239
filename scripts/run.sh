#!/usr/bin/env bash
# Start web, Celery worker, Celery beat and the outbox relay together; Ctrl-C stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."
# Development defaults to DEBUG=1, unless the environment or .env sets DEBUG (which then wins).
if [ -z "${DEBUG+x}" ] && ! grep -sqE '^[[:space:]]*(export[[:space:]]+)?DEBUG=' .env; then
  export DEBUG=1
fi
PORT="${PORT:-8000}"
PY=.venv/bin/python
mkdir -p var
pids=()
cleanup() { trap - INT TERM EXIT; kill "${pids[@]}" 2>/dev/null || true; wait || true; }
trap cleanup INT TERM EXIT

.venv/bin/celery -A config worker -Q celery,audit_anchor --loglevel=INFO --concurrency=2 >var/worker.log 2>&1 & pids+=($!)
.venv/bin/celery -A config beat --loglevel=INFO --schedule=var/celerybeat-schedule >var/beat.log 2>&1 & pids+=($!)
$PY manage.py outbox_relay >var/relay.log 2>&1 & pids+=($!)  # sends work queued while Redis was down
$PY manage.py runserver "0.0.0.0:${PORT}" --noreload & pids+=($!)

cat <<TXT

  Interception CMS is running at http://127.0.0.1:${PORT}/
  (worker log: var/worker.log, beat log: var/beat.log; health: http://127.0.0.1:${PORT}/healthz)

  Demo logins (password: ${DEMO_PASSWORD:-demo-pass-2026}). Two-step login code for a demo user:
    .venv/bin/python manage.py demo_code monitor
  (or add the key GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ to an authenticator app)

    monitor        border monitor at BHW (Bhairahawa)
    monitor2       border monitor at BRG (Birgunj)
    manager        station manager at BHW
    case_manager   case manager at BHW
    legal          legal officer at BHW
    director       country director, Nepal
    auditor        auditor, Nepal
    admin          administrator (Django admin at /admin/)

TXT
wait -n "${pids[@]}"
