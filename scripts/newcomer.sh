#!/usr/bin/env bash
# A newcomer's first contact, after `bash scripts/install.sh`: the README's own commands, run from a
# temporary folder with a fresh cache, as written there. Any error stops it with the failing step.
# Needs CRSAGENT_DATA_DIR (the README's quick start sets it). 1.5-3 minutes on 2 cores, most of it the
# first build of the agent's models on ml-latest-small for `crsagent serve`.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CRSAGENT="$ROOT/.venv/bin/crsagent"
PYTHON="$ROOT/.venv/bin/python"
step="start"
trap 'echo "newcomer: FAILED at: $step" >&2' ERR
begin() {
    step=$1
    echo "newcomer: [${SECONDS}s] $step" >&2
}

if [ -z "${CRSAGENT_DATA_DIR:-}" ] || [ ! -d "$CRSAGENT_DATA_DIR/ml-latest-small" ]; then
    echo "newcomer: CRSAGENT_DATA_DIR must name the folder holding ml-latest-small/ (README, Quick start)" >&2
    exit 1
fi
work="$(mktemp -d)"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
export CRSAGENT_CACHE_DIR="$work/cache" HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1

# The README's python blocks whose first line is $1, written to a file to run.
readme_python() {
    "$PYTHON" - "$ROOT/README.md" "$1" <<'EOF'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
blocks = [b for b in re.findall(r"```python\n(.*?)```", text, re.S) if b.startswith(sys.argv[2])]
if len(blocks) != 1:
    sys.exit(f"README: expected one python block starting with {sys.argv[2]!r}, found {len(blocks)}")
print(blocks[0])
EOF
}

begin "crsagent data list"
"$CRSAGENT" data list | tee data-list.txt
grep -E "^ml-latest-small" data-list.txt | grep -vq "not found"

begin "crsagent index build --dataset ml-latest-small --embedder hashing"
"$CRSAGENT" index build --dataset ml-latest-small --embedder hashing 2>index-progress.txt
# Progress comes in whole lines, not carriage returns.
if grep -q $'\r' index-progress.txt; then false; fi

begin "crsagent index query (must use the hashing index just built, quickly)"
timeout 60 "$CRSAGENT" index query "astronauts stranded on mars" -k 5 --where genre=Sci-Fi | tee query.txt
[ "$(wc -l <query.txt)" -eq 5 ]

begin "README: the Python block of the Python section"
readme_python "from crsagent.data.registry import load_dataset" >catalog_example.py
"$PYTHON" catalog_example.py

begin "crsagent eval redial --help"
if "$CRSAGENT" eval --help | grep -q "redial"; then "$CRSAGENT" eval redial --help >/dev/null; fi

begin "crsagent serve, then the README's openai client snippet"
port="$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$CRSAGENT" serve --dataset ml-latest-small --port "$port" >serve.log 2>&1 &
server_pid=$!
for _ in $(seq 1 240); do
    if curl -sf "http://127.0.0.1:$port/health" >/dev/null; then break; fi
    kill -0 "$server_pid" || { cat serve.log >&2; false; }
    sleep 0.5
done
readme_python "import openai" | sed "s/127.0.0.1:8000/127.0.0.1:$port/" >openai_example.py
"$PYTHON" openai_example.py
begin "the README's curl command"
curl -sf "http://127.0.0.1:$port/v1/chat/completions" -H 'Content-Type: application/json' \
    -d '{"model": "ml-latest-small", "messages": [{"role": "user", "content": "a crime film from the 1990s"}]}' \
    | "$PYTHON" -c 'import json, sys; body = json.load(sys.stdin); assert body["choices"][0]["message"]["content"]'
kill "$server_pid"
server_pid=""

begin "README: the MCP client snippet (spawns crsagent mcp over stdio)"
readme_python "import asyncio" | sed "s|\".venv/bin/crsagent\"|\"$CRSAGENT\"|" >mcp_example.py
timeout 120 "$PYTHON" mcp_example.py | tee mcp.txt
grep -q "'session_id'" mcp.txt  # a tool error prints None: no structured result

echo "newcomer: every README step ran (${SECONDS}s)"
