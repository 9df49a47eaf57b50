"""Every command's ``--help`` fits an 80-column terminal and keeps the CLI light.

Rendered with typer's CliRunner at COLUMNS=80: no line wider than 80 characters, no option
name cut short by an ellipsis (rich shortens a column that does not fit), and the examples
printed whole.
"""

from __future__ import annotations

import inspect
import subprocess
import sys

import pytest
import typer
from typer.testing import CliRunner

from tasktransfer.cli import app

WIDTH = 80


def _commands(group, prefix: tuple[str, ...] = ()):
    for name, command in group.commands.items():
        yield (*prefix, name)
        if hasattr(command, "commands"):  # a group such as `data`
            yield from _commands(command, (*prefix, name))


COMMANDS = [(), *_commands(typer.main.get_command(app))]


def test_every_command_is_listed():
    assert {" ".join(c) for c in COMMANDS} >= {"", "run", "finetune", "evaluate", "data stats"}


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "tasktransfer")
def test_help_fits_80_columns(command):
    result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": str(WIDTH)})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) > 3
    too_wide = [line for line in lines if len(line) > WIDTH]
    assert not too_wide, "\n".join(too_wide)
    assert "…" not in result.output, result.output  # a cut option name or help text
    examples = [line.strip() for line in lines if line.strip().startswith("tasktransfer ")]
    assert all(len(line) <= WIDTH - 2 for line in examples), examples


@pytest.mark.parametrize("command", COMMANDS[1:], ids=" ".join)
def test_help_text_lines_are_not_rewrapped(command):
    # Past its first paragraph, typer keeps the docstring's line breaks: a line wider than
    # the terminal wraps into a stub (`--mixture (a file` / `of task -> ...`). Each must fit.
    node = typer.main.get_command(app)
    for name in command:
        node = node.commands[name]
    _, _, rest = inspect.cleandoc(node.help or "").partition("\n\n")
    too_wide = [line for line in rest.splitlines() if len(line) > WIDTH - 2]
    assert not too_wide, "\n".join(too_wide)


def test_help_imports_no_model_stack():
    # `tasktransfer COMMAND --help` must stay instant: no torch, transformers or datasets.
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from tasktransfer.cli import app\n"
        "for cmd in (['finetune'], ['evaluate'], ['run'], ['analyze']):\n"
        "    assert CliRunner().invoke(app, [*cmd, '--help']).exit_code == 0\n"
        "print(sorted(m for m in ('torch', 'transformers', 'datasets', 'peft', 'ray')"
        " if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
