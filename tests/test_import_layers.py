"""The import contracts in pyproject.toml ([tool.importlinter]): the tree keeps them, and a backward
import in a copy of the package breaks them (so CI's `lint-imports` would fail on it)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(cwd: Path) -> subprocess.CompletedProcess[str]:
    assert LINT_IMPORTS.is_file(), (
        f"{LINT_IMPORTS} is missing: install the dev extra (bash scripts/install.sh)"
    )
    # PYTHONPATH first, so the copy under test shadows the installed (editable) crsagent.
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-logo", "--no-cache", "pyproject.toml"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_package_keeps_its_import_contracts() -> None:
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.fixture
def package_copy(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "crsagent", tmp_path / "crsagent", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


@pytest.mark.parametrize(
    ("module", "line", "contract", "shown"),
    [
        # A lower layer reaching up: the data layer must not know the agent.
        (
            "data/_backward.py",
            "from crsagent.agent.config import AgentConfig\n",
            "Layers: each module imports only from its own layer or below BROKEN",
            "crsagent.data._backward -> crsagent.agent.config",
        ),
        # What used to be here: the LLM layer borrowing a helper from the tools above it.
        (
            "llm/_backward.py",
            "from crsagent.tools.base import ToolOutput\n",
            "Layers: each module imports only from its own layer or below BROKEN",
            "crsagent.llm._backward -> crsagent.tools.base",
        ),
        # Siblings of one layer that must stay apart.
        (
            "ui/_backward.py",
            "import crsagent.serve.settings\n",
            "Layers: each module imports only from its own layer or below BROKEN",
            "crsagent.ui._backward -> crsagent.serve.settings",
        ),
        # Same direction as the layers allow, but an adapter reaching past the Agent.
        (
            "ui/_backward.py",
            "from crsagent.knowledge_graph.graph import KnowledgeGraph\n",
            "thin adapters over the Agent",
            "crsagent.ui._backward -> crsagent.knowledge_graph.graph",
        ),
        # An optional extra imported by the core.
        (
            "agent/_backward.py",
            "import gradio\n",
            "Optional extras stay optional",
            "crsagent.agent._backward -> gradio",
        ),
    ],
)
def test_a_forbidden_import_breaks_a_contract(
    package_copy: Path, module: str, line: str, contract: str, shown: str
) -> None:
    (package_copy / "crsagent" / module).write_text(line, encoding="utf-8")
    result = _lint(package_copy)
    assert result.returncode != 0
    output = " ".join((result.stdout + result.stderr).split())  # contract names wrap at 80 columns
    assert contract in output and "1 broken" in output, output
    assert shown in output, output


def test_a_new_top_level_module_must_be_given_a_layer(package_copy: Path) -> None:
    (package_copy / "crsagent" / "helpers.py").write_text("X = 1\n", encoding="utf-8")
    result = _lint(package_copy)
    assert result.returncode != 0
    assert "crsagent.helpers" in result.stdout + result.stderr
