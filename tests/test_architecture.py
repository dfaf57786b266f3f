"""The layout by stage holds: imports only go down the stages, there is no import cycle, no
module imports another's private name, no module is over 400 lines, and the DataFrame that
``TabGAN.fit`` receives only ever goes down the stages. See docs/architecture.md."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import tabgan

PACKAGE = Path(tabgan.__file__).parent
MAX_LINES = 400
# Each module's stage; a module imports only from its own stage or lower ones.
STAGES = {
    "tabgan.errors": 0,
    "tabgan.version": 0,
    "tabgan.table": 1,
    "tabgan.datasets": 1,
    "tabgan.encoding": 2,
    "tabgan.gan": 3,
    "tabgan.privacy": 4,
    "tabgan.evaluate": 4,
    "tabgan.settings": 5,
    "tabgan.serialize": 5,
    "tabgan.checkpoint": 5,
    "tabgan.history": 5,
    "tabgan.fitting": 6,
    "tabgan.sampling": 6,
    "tabgan.plans": 6,
    "tabgan.synthesizer": 7,
    "tabgan.callbacks": 7,
    "tabgan.augment": 8,
    "tabgan.canaries": 8,
    "tabgan.compat": 8,
    "tabgan.report": 9,
    "tabgan.cli": 10,
    "tabgan.__main__": 10,
    "tabgan": 10,  # the package's __init__: the public names
}
# Stages of the same rank that must not know each other.
APART = [("tabgan.privacy", "tabgan.evaluate")]


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _stage(module: str) -> tuple[str, int]:
    best = max((name for name in STAGES if module == name or module.startswith(name + ".")),
               key=len)
    return best, STAGES[best]


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, names) of every ``from tabgan... import ...`` and ``import tabgan...``,
    lazy ones inside functions included."""
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] == "tabgan":
                out.append((node.module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            out += [(a.name, []) for a in node.names if a.name.split(".")[0] == "tabgan"]
    return out


MODULES = _modules()


def _target(module: str, name: str) -> str:
    """``from module import name``: the submodule ``module.name`` when there is one."""
    return f"{module}.{name}" if f"{module}.{name}" in MODULES else module


def test_every_module_has_a_stage_and_imports_only_downwards():
    wrong = []
    for module, path in MODULES.items():
        _, rank = _stage(module)
        for imported, names in _imports(path):
            for target in [_target(imported, n) for n in names] or [imported]:
                if _stage(target)[1] > rank:
                    wrong.append(f"{module} imports {target}")
    assert wrong == []


def test_stages_of_one_rank_that_must_stay_apart_do():
    for a, b in APART:
        for module, path in MODULES.items():
            for imported, _ in _imports(path):
                for x, y in ((a, b), (b, a)):
                    if module.startswith(x) and imported.startswith(y):
                        pytest.fail(f"{module} imports {imported}")


def test_no_import_cycle():
    graph = {m: set() for m in MODULES}
    for module, path in MODULES.items():
        for imported, names in _imports(path):
            for target in [_target(imported, n) for n in names] or [imported]:
                if target in MODULES and target != module and target != "tabgan":
                    graph[module].add(target)
    state: dict[str, int] = {}

    def visit(node, trail):
        state[node] = 1
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                pytest.fail("import cycle: " + " -> ".join([*trail, node, nxt]))
            if nxt not in state:
                visit(nxt, [*trail, node])
        state[node] = 2

    for module in graph:
        if module not in state:
            visit(module, [])


def test_no_private_name_is_imported_from_another_module():
    wrong = [f"{module}: {imported}.{name}"
             for module, path in MODULES.items()
             for imported, names in _imports(path)
             for name in names
             if name.startswith("_") and name != "__version__"]
    assert wrong == []


def test_no_module_is_over_400_lines():
    long = {m: n for m, p in MODULES.items() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert long == {}


def test_the_gan_stage_knows_tensors_only():
    for module, path in MODULES.items():
        if module.startswith("tabgan.gan") or module == "tabgan.encoding.layout":
            source = path.read_text()
            assert "import pandas" not in source, module


# ---------------------------------------------------------------------- the DataFrame's walk
def _trace_fit(frame: pd.DataFrame, **params) -> list[tuple[str, str, str]]:
    """(caller module, callee module, function) of every call inside tabgan that receives
    ``frame`` itself as an argument."""
    calls = []

    def caller_module(frame_obj):
        back = frame_obj.f_back
        while back is not None:
            name = back.f_globals.get("__name__", "")
            if name.split(".")[0] == "tabgan":
                return name
            back = back.f_back
        return "user"

    def profile(frame_obj, event, arg):
        if event != "call":
            return
        module = frame_obj.f_globals.get("__name__", "")
        if module.split(".")[0] != "tabgan":
            return
        code = frame_obj.f_code
        args = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
        if any(frame_obj.f_locals.get(a) is frame for a in args):
            calls.append((caller_module(frame_obj), module, code.co_name))

    model = tabgan.TabGAN(epochs=1, batch_size=40, embedding_dim=8, generator_dims=(8,),
                          critic_dims=(8,), verbose=False, random_state=0, **params)
    sys.setprofile(profile)
    try:
        model.fit(frame)
    finally:
        sys.setprofile(None)
    return calls


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({"x": rng.normal(size=200), "c": rng.choice(["a", "b"], 200),
                         "n": rng.integers(0, 50, 200)})


@pytest.mark.parametrize("epsilon", [None, 5.0])
def test_the_dataframe_goes_down_the_stages_and_never_reaches_the_gan(epsilon):
    calls = _trace_fit(_frame(), epsilon=epsilon)
    assert calls, "the trace saw no call"
    for caller, callee, function in calls:
        if caller != "user":
            assert _stage(callee)[1] <= _stage(caller)[1], (caller, callee, function)
        assert not callee.startswith("tabgan.gan"), (callee, function)
    # the stages it enters, in order: the facade, the fit and its plan, the table (metadata
    # and constraints), the statistics (exact or private), the encoder
    entered = []
    for _, callee, _ in calls:
        stage = _stage(callee)[0]
        if stage not in entered:
            entered.append(stage)
    statistics = ["tabgan.privacy"] if epsilon else []
    assert entered == ["tabgan.synthesizer", "tabgan.fitting", "tabgan.plans", "tabgan.table",
                       *statistics, "tabgan.encoding"]
