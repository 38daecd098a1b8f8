"""``arinb lab NOTEBOOK``: serve a scenario notebook as an app, with its code hidden (Voilà).

``NOTEBOOK`` is a path to a notebook, or a scenario name (``tones``, ``answer``, ``monkeys``): then a small
app notebook is written to a temporary directory: the simulator, the scenario's stepper widget (Step,
Run, Reset, live timeline) and a phone. Voilà comes with the ``lab`` extra (``pip install arinb[lab]``);
the command it runs is printed, so it can be run by hand too:

    voila NOTEBOOK --no-browser --strip_sources=True --port 8866 --Voila.ip=127.0.0.1

    arinb lab tones                 # then open http://127.0.0.1:8866
    arinb lab notebooks/02-tones.ipynb --port 9000 --speed 10
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
from pathlib import Path

__all__ = ["add_arguments", "app_notebook", "resolve_notebook", "run", "voila_command"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("notebook", help="a notebook path, or a scenario name: tones, answer, monkeys")
    parser.add_argument(
        "--port", type=int, default=8866, help="port to serve on, on 127.0.0.1 (default 8866)"
    )
    parser.add_argument(
        "--speed", type=float, default=None, help="simulated seconds per real second (ARINB_SPEED)"
    )
    parser.add_argument("--show-code", action="store_true", help="do not hide the code cells")
    parser.add_argument("--open", action="store_true", help="open a web browser")


def app_notebook(scenario: str, directory: Path) -> Path:
    """Write the app notebook for a scenario name into ``directory``; return its path."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    from arinb.scenarios import SCENARIOS

    cls = SCENARIOS[scenario]
    nb = new_notebook()
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "name": "python3",
    }
    nb.cells = [
        new_markdown_cell(
            f"# {cls.title}: the ARI docs' `{cls.app}` app\n\n"
            f"Extension {cls.extension} on the embedded Asterisk 22 simulator. **Step** runs one step, "
            "**Run** the rest, **Reset** hangs up and starts over."
        ),
        new_code_cell(
            "import os\nimport arinb\n"
            'sim = await arinb.simulate(speed=float(os.environ.get("ARINB_SPEED", "4")))\n'
            f"scenario = arinb.scenarios.{scenario}(sim)\n"
            "scenario.widget()"
        ),
        new_markdown_cell("A phone: call any extension of the simulator's dialplan as a named caller."),
        new_code_cell(
            f'from arinb.widgets.phone import Phone\nPhone(sim, caller="bob", extension="{cls.extension}")'
        ),
    ]
    path = directory / f"{scenario}.ipynb"
    nbformat.write(nb, path)
    return path


def resolve_notebook(name: str, directory: Path) -> Path:
    """A notebook path as given, else the app notebook for a scenario name."""
    from arinb.scenarios import SCENARIOS

    path = Path(name)
    if path.suffix == ".ipynb" or path.exists():
        if not path.is_file():
            raise FileNotFoundError(f"no notebook at {path}")
        return path.resolve()
    if name in SCENARIOS:
        return app_notebook(name, directory)
    raise FileNotFoundError(f"{name!r} is neither a notebook nor a scenario ({', '.join(SCENARIOS)})")


#: lab extensions kept out of the Voilà app (see :func:`voila_command`)
VOILA_DENYLIST = ("jupyterlab-jupytext",)


def voila_command(
    notebook: Path, port: int, *, show_code: bool = False, open_browser: bool = False
) -> list[str]:
    cmd = [sys.executable, "-m", "voila", str(notebook), f"--port={port}", "--Voila.ip=127.0.0.1"]
    cmd.append(f"--strip_sources={'False' if show_code else 'True'}")
    # JupyterLab-only extensions that fail to load in Voilà's page (a console error for the student):
    # jupytext's needs JupyterLab's document manager, which Voilà does not provide.
    cmd.append(f"--VoilaConfiguration.extension_denylist={list(VOILA_DENYLIST)!r}")
    if not open_browser:
        cmd.append("--no-browser")
    return cmd


def run(args: argparse.Namespace) -> int:
    if importlib.util.find_spec("voila") is None:
        print("arinb lab needs Voilà: pip install 'arinb[lab]'", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="arinb-lab-") as tmp:
        try:
            notebook = resolve_notebook(args.notebook, Path(tmp))
        except FileNotFoundError as exc:
            print(f"arinb lab: {exc}", file=sys.stderr)
            return 2
        env = dict(os.environ)
        if args.speed is not None:
            env["ARINB_SPEED"] = str(args.speed)
        cmd = voila_command(notebook, args.port, show_code=args.show_code, open_browser=args.open)
        print("Serving", notebook.name, f"at http://127.0.0.1:{args.port}/  (Ctrl+C stops)", flush=True)
        print("  " + " ".join(cmd[1:]).replace("-m voila", "voila", 1), flush=True)
        proc = subprocess.Popen(cmd, env=env, cwd=str(notebook.parent))
        try:
            return proc.wait()
        except KeyboardInterrupt:
            proc.terminate()
            try:
                return proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                return proc.wait()
