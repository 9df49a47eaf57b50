# Sourced by the other scripts: make ./.venv with every pinned dependency, once.
# Re-installs only when pyproject.toml or constraints.txt changed since the last install.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${TASKTRANSFER_VENV:-$ROOT/.venv}"
PY="${PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ]; then
    echo "creating $VENV" >&2
    "$PY" -m venv "$VENV"
fi
stamp="$VENV/.tasktransfer-installed"
want="$(cat "$ROOT/pyproject.toml" "$ROOT/constraints.txt" | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "installing tasktransfer and its pinned dependencies into $VENV" >&2
    "$VENV/bin/python" -m pip install -q --upgrade pip
    # torch first and alone, pinned: an unpinned torch pulls a multi-GB CUDA build.
    "$VENV/bin/python" -m pip install -q -c "$ROOT/constraints.txt" torch
    "$VENV/bin/python" -m pip install -q -c "$ROOT/constraints.txt" -e "$ROOT[all,dev]"
    echo "$want" > "$stamp"
fi
export PATH="$VENV/bin:$PATH"
