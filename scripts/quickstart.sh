#!/usr/bin/env bash
# The main job: the quickstart study (tiny offline model, synthetic suite) into
# studies/quickstart. Creates ./.venv on first use. Extra arguments go to `tasktransfer run`
# (e.g. --out DIR, finetune.steps=50). Ends by printing the path of the report.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
tasktransfer run quickstart "$@"
