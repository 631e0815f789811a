"""atnet's layers: import-linter's contracts in pyproject.toml (each layer folder imports only the
layers below it; no loops between the modules of any package) hold; and the import graph of
atnet/ has no cycle between modules, counting the imports inside functions too (a lower part that
imports a higher one inside a function is a loop all the same), checked with the standard
library's ast over the source, not by importing it."""
from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import atnet

ROOT = Path(atnet.__file__).parent


def modules() -> dict[str, Path]:
    out = {}
    for f in ROOT.rglob("*.py"):
        parts = f.relative_to(ROOT.parent).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = f
    return out


def imports(name: str, path: Path, known: dict) -> set[str]:
    """The atnet modules `name` imports anywhere in its source (a package's __init__ left out)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = (".".join(package.split(".")[:len(package.split(".")) - node.level + 1] + [node.module or ""])
                    if node.level else node.module or "").rstrip(".")
            for alias in node.names:
                out.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
    return {m for m in out if m in known and m not in (name, "atnet")}


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of the graph, as a path of module names, or None."""
    state: dict[str, int] = {}   # 1: on the current path, 2: done
    path: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        path.append(m)
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                return path[path.index(n):] + [n]
            if n not in state:
                found = visit(n)
                if found:
                    return found
        state[m] = 2
        path.pop()
        return None

    for m in sorted(graph):
        if m not in state:
            found = visit(m)
            if found:
                return found
    return None


def test_atnet_imports_in_no_loop():
    known = modules()
    graph = {m: imports(m, p, known) for m, p in known.items()}
    assert len(graph) > 40 and graph["atnet.app.runs"], "the graph was not read"
    loop = cycle(graph)
    assert loop is None, "an import loop: " + " -> ".join(loop)


def test_the_check_finds_a_loop():
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set()}) is None


def test_the_layer_contract_holds():
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    assert lint, "import-linter is not installed: `make install` installs it (the test extra)"
    got = subprocess.run([lint, "--no-cache"], cwd=ROOT.parent, capture_output=True, text=True, timeout=300)
    assert got.returncode == 0, got.stdout[-3000:] + got.stderr[-2000:]
    assert "2 kept, 0 broken" in got.stdout


def test_every_folder_is_a_layer_of_the_contract():
    """A new folder under atnet/ must be placed in a layer (the contract is exhaustive; this names it)."""
    text = (ROOT.parent / "pyproject.toml").read_text()
    layers = text.split('layers = [', 1)[1].split("]", 1)[0]
    folders = sorted(p.name for p in ROOT.iterdir() if (p / "__init__.py").exists())
    assert folders == sorted(n.strip().strip('"') for n in layers.split(","))
