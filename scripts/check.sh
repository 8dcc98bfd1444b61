#!/usr/bin/env bash
# The project's test command: lint, type-check, then the test suite.
# pytest's exit code 5 ("no tests ran") is a failure here, like any other non-zero code.
set -uo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1 GRADIO_ANALYTICS_ENABLED=False
.venv/bin/ruff check . || exit 1
.venv/bin/pyright || exit 1
.venv/bin/pytest "$@"
status=$?
if [ "$status" -eq 5 ]; then
    echo "check: pytest collected no tests; that is a failure" >&2
    exit 1
fi
exit "$status"
