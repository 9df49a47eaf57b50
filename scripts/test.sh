#!/usr/bin/env bash
# Run the test suite in ./.venv (created on first use). Extra arguments go to pytest.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
export TASKTRANSFER_REFERENCE_DIR="${TASKTRANSFER_REFERENCE_DIR:-$ROOT/../shared/reference/sachdeva2026}"
set +e
python -m pytest "$@"
rc=$?
set -e
# pytest exits 5 when it collected no test (e.g. a -k filter that matched nothing).
if [ "$rc" -eq 5 ]; then echo "pytest collected no tests" >&2; exit 0; fi
exit "$rc"
