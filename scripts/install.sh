#!/usr/bin/env bash
# Install crsagent with every extra into ./.venv on a fresh machine.
# torch goes first, pinned to the CPU wheel, and the constraints file keeps it: a plain `torch`
# requirement would pull several GB of CUDA packages. pip only (uv / poetry miss the local CPU wheel).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet torch==2.13.0
.venv/bin/python -m pip install --quiet -c constraints.txt -e ".[all]"
echo "crsagent installed in .venv ($(.venv/bin/python -c 'import torch; print("torch", torch.__version__)'))"
