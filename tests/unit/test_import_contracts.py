"""The layers hold: `.importlinter`'s contracts (the same check as `make lint`), run with the tests
so that CI fails on an import running up the layers or from one feature into another."""

from __future__ import annotations

import subprocess
import sys

from bot.core.settings import PROJECT_ROOT


def lint_imports(config: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())",
            "--config",
            config,
            "--no-cache",
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_import_contracts_are_kept():
    result = lint_imports(".importlinter")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "3 kept, 0 broken" in result.stdout


def test_a_feature_importing_another_breaks_a_contract(tmp_path):
    """The check can fail: the same contracts, with staff's declared path to delegations left out,
    find that import (a contract that could never fail would prove nothing)."""
    config = (PROJECT_ROOT / ".importlinter").read_text()
    undeclared = config.replace("    bot.staff.views -> bot.delegations.texts\n", "")
    assert undeclared != config, "the declared path is no longer in .importlinter: update this test"
    path = tmp_path / "contracts.ini"
    path.write_text(undeclared)
    result = lint_imports(str(path))
    assert result.returncode != 0
    assert "bot.staff.views -> bot.delegations.texts" in result.stdout
