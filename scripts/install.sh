#!/usr/bin/env bash
# Install crsagent with every extra into ./.venv on a fresh machine.
#
#   bash scripts/install.sh            # install
#   bash scripts/install.sh --dry-run  # say which torch build it would install and how; change nothing
#
# torch goes first, and constraints.txt keeps it, so the extras never swap it for another build:
# - a GPU (nvidia-smi lists one): torch from the default index, i.e. the CUDA build;
# - no GPU: the CPU build. When pip already resolves torch to a +cpu wheel (a local wheel folder or a
#   mirror in pip's configuration), that one; otherwise the official CPU wheel index
#   (https://download.pytorch.org/whl/cpu), because PyPI's Linux torch is the CUDA build and pulls
#   several GB of nvidia-* packages that a CPU machine never uses.
# pip only: uv and poetry do not see pip's configured wheel folders.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
TORCH_VERSION=2.13.0
CPU_INDEX=https://download.pytorch.org/whl/cpu

dry_run=0
case "${1:-}" in
    --dry-run) dry_run=1 ;;
    "") ;;
    *)
        echo "usage: bash scripts/install.sh [--dry-run]" >&2
        exit 2
        ;;
esac

run() {
    if [ "$dry_run" -eq 1 ]; then
        echo "install.sh: would run: $*"
    else
        "$@"
    fi
}

has_gpu() {
    command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L 2>/dev/null | grep -q "^GPU"
}

# The torch version pip would install from its configured indexes and wheel folders, e.g.
# 2.13.0+cpu. A dry run reads metadata only: a local wheel is read in place, and PyPI serves the
# metadata on its own, so no multi-GB wheel is downloaded to find out.
resolved_torch() {
    local python=$1 report
    report=$(mktemp)
    if "$python" -m pip install --dry-run --no-deps --ignore-installed --quiet --report "$report" \
        "torch==$TORCH_VERSION" >/dev/null 2>&1; then
        "$python" -c 'import json, sys; print(json.load(open(sys.argv[1]))["install"][0]["metadata"]["version"])' \
            "$report" || true
    fi
    rm -f "$report"
}

if [ "$dry_run" -eq 0 ]; then
    [ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
    .venv/bin/python -m pip install --quiet --upgrade pip
fi
probe_python=.venv/bin/python
[ -x "$probe_python" ] || probe_python=$PYTHON

torch_args=()
if has_gpu; then
    echo "install.sh: a GPU is present (nvidia-smi): torch $TORCH_VERSION from the default index (CUDA build)"
else
    resolved=$(resolved_torch "$probe_python")
    if [[ "$resolved" == *+cpu ]]; then
        echo "install.sh: no GPU; pip resolves torch to the CPU wheel $resolved: installing that one"
    else
        echo "install.sh: no GPU; pip resolves torch to '${resolved:-nothing}', not a CPU build:" \
            "installing torch $TORCH_VERSION from the CPU wheel index $CPU_INDEX"
        torch_args=(--index-url "$CPU_INDEX")
    fi
fi
run .venv/bin/python -m pip install --quiet ${torch_args[@]+"${torch_args[@]}"} "torch==$TORCH_VERSION"
# constraints.txt pins torch==2.13.0, which the installed build (+cpu or CUDA) satisfies: it stays.
run .venv/bin/python -m pip install --quiet -c constraints.txt -e ".[all]"
if [ "$dry_run" -eq 0 ]; then
    echo "crsagent installed in .venv ($(.venv/bin/python -c 'import torch; print("torch", torch.__version__)'))"
fi
