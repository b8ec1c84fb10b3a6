"""The package's layers, read from its imports: no module imports a layer above its own, and
no modules import each other in a circle.

Every import counts: at module level, inside a function (a lazy import is still a
dependency) and under ``if TYPE_CHECKING:`` (a type is a dependency too). From the top:

1. ``commands``: ``_cli`` (with the demo), the Django management commands and the Celery
   tasks (they run the reconciler, the inbox sweep and payout batches, as the commands do);
2. ``apps``: ``sandbox``, ``payouts`` and the reconciler (``_reconcile``,
   ``_reconcile_round``), which do not import each other;
3. ``contrib``: the callback processor, its inbox and the framework endpoints;
4. ``clients``: the modules that hold or build a client or open a store (``Client``,
   ``AsyncClient``, the module-level client, the payment registry);
5. ``stores``: ``_stores``;
6. ``core``: every other module (wire, models, operations, validation, the request
   pipeline, the documented objects, the values callback code exchanges with its user).

The front door (``ligdicash/__init__.py``) belongs to no layer: it re-exports from all of
them and only the commands and the sandbox (which sets the module settings of the SDK it
points at the sandbox) import it. ``python tests/test_layers.py`` prints the layer of each
module, the imports that break the rules and the circles.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = "ligdicash"
SOURCE = Path(__file__).resolve().parent.parent / "src" / PACKAGE

#: Top first. A module belongs to the layer of the longest prefix that names it (a prefix
#: is a module or a package: ``ligdicash._cli`` covers ``ligdicash._cli._common``).
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "commands",
        ("ligdicash._cli", "ligdicash.contrib.django.management", "ligdicash.contrib.celery"),
    ),
    (
        "apps",
        (
            "ligdicash.sandbox",
            "ligdicash.payouts",
            "ligdicash._reconcile",
            "ligdicash._reconcile_round",
        ),
    ),
    ("contrib", ("ligdicash.contrib",)),
    (
        "clients",
        (
            "ligdicash._base_client",
            "ligdicash._client",
            "ligdicash._async_client",
            "ligdicash._facade",
            "ligdicash._registry",
        ),
    ),
    ("stores", ("ligdicash._stores",)),
]
CORE = "core"
#: The apps, which must not import one another (their prefixes, as in ``LAYERS``).
APPS = {
    "sandbox": ("ligdicash.sandbox",),
    "payouts": ("ligdicash.payouts",),
    "reconcile": ("ligdicash._reconcile", "ligdicash._reconcile_round"),
}
#: Who may import the front door ``ligdicash``: the commands, and the sandbox (its pytest
#: plugin sets the module settings of the SDK it points at the sandbox).
FRONT_DOOR_USERS = (
    "ligdicash._cli",
    "ligdicash.contrib.django.management",
    "ligdicash.contrib.celery",
    "ligdicash.sandbox",
)

_RANK = {name: rank for rank, (name, _) in enumerate(LAYERS)}
_RANK[CORE] = len(LAYERS)


def _names_it(prefix: str, module: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def _prefix_of(module: str, prefixes: tuple[str, ...]) -> str:
    matches = [p for p in prefixes if _names_it(p, module)]
    return max(matches, key=len) if matches else ""


def layer_of(module: str) -> str:
    """The layer ``module`` belongs to (``CORE`` when no prefix of ``LAYERS`` names it)."""
    best, layer = "", CORE
    for name, prefixes in LAYERS:
        prefix = _prefix_of(module, prefixes)
        if len(prefix) > len(best):
            best, layer = prefix, name
    return layer


def _app_of(module: str) -> str:
    return next((app for app, prefixes in APPS.items() if _prefix_of(module, prefixes)), "")


def modules() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its ``__init__``)."""
    found: dict[str, Path] = {}
    for path in sorted(SOURCE.rglob("*.py")):
        parts = list(path.relative_to(SOURCE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _imported(tree: ast.AST, module: str, is_package: bool, known: set[str]) -> Iterator[str]:
    """The package's modules that ``tree`` imports, wherever the import stands."""
    base = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = base.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                source = ".".join(anchor + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:
                # ``from pkg import mod`` imports the module; ``from mod import name`` the
                # module holding the name.
                submodule = f"{source}.{alias.name}"
                yield submodule if submodule in known else source


def import_graph() -> dict[str, set[str]]:
    """``module -> the package's modules it imports`` (itself left out)."""
    found = modules()
    known = set(found)
    graph: dict[str, set[str]] = {}
    for module, path in found.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        targets = set()
        for target in _imported(tree, module, path.name == "__init__.py", known):
            # ``import ligdicash._stores._open`` depends on the deepest known module named.
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != module:
                targets.add(target)
        graph[module] = targets
    return graph


def broken_rules(graph: dict[str, set[str]]) -> list[str]:
    """Every import that crosses the layers the wrong way, one line each."""
    problems = []
    for module, targets in sorted(graph.items()):
        if module == PACKAGE:
            continue
        layer = layer_of(module)
        for target in sorted(targets):
            if target == PACKAGE:
                if not _prefix_of(module, FRONT_DOOR_USERS):
                    problems.append(f"{module} ({layer}) imports the front door {PACKAGE}")
                continue
            target_layer = layer_of(target)
            if _RANK[target_layer] < _RANK[layer]:
                problems.append(f"{module} ({layer}) imports {target} ({target_layer})")
            elif layer == target_layer == "apps" and _app_of(module) != _app_of(target):
                problems.append(f"{module} imports {target}: the apps are independent")
    return problems


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(graph) + 100))

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def test_the_checker_reads_every_kind_of_import() -> None:
    """The reader sees lazy, TYPE_CHECKING and relative imports, or the rules mean nothing."""
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "from .. import _pipeline\n"
        "from ._timing import ClaimTiming\n"
        "if TYPE_CHECKING:\n    from .._client import Client\n"
        "def f():\n    from ligdicash._stores import open_store\n"
    )
    known = {
        "ligdicash",
        "ligdicash._pipeline",
        "ligdicash._client",
        "ligdicash._stores",
        "ligdicash.contrib",
        "ligdicash.contrib._timing",
    }
    assert set(_imported(tree, "ligdicash.contrib._x", False, known)) == {
        "typing",
        "ligdicash._pipeline",
        "ligdicash.contrib._timing",
        "ligdicash._client",
        "ligdicash._stores",
    }


def test_the_checker_finds_a_circle_and_an_upward_import() -> None:
    graph = {
        "ligdicash._wire": {"ligdicash._stores._base"},
        "ligdicash._stores._base": {"ligdicash._wire"},
        "ligdicash._models": set(),
    }
    assert circles(graph) == [["ligdicash._stores._base", "ligdicash._wire"]]
    assert broken_rules(graph) == [
        "ligdicash._wire (core) imports ligdicash._stores._base (stores)"
    ]


def test_the_checker_finds_a_forbidden_front_door_and_apps_that_import_each_other() -> None:
    graph = {
        "ligdicash": {"ligdicash._reconcile"},
        "ligdicash.payouts._runner": {"ligdicash", "ligdicash._reconcile_round"},
        "ligdicash.sandbox.pytest_plugin": {"ligdicash"},
    }
    assert broken_rules(graph) == [
        "ligdicash.payouts._runner (apps) imports the front door ligdicash",
        "ligdicash.payouts._runner imports ligdicash._reconcile_round: the apps are independent",
    ]


def test_every_layer_names_modules_that_exist() -> None:
    found = modules()
    for _, prefixes in LAYERS:
        for prefix in prefixes:
            assert any(_names_it(prefix, module) for module in found), prefix


def test_no_module_imports_a_layer_above_its_own() -> None:
    assert broken_rules(import_graph()) == []


def test_no_modules_import_each_other_in_a_circle() -> None:
    assert circles(import_graph()) == []


@pytest.mark.parametrize(
    ("module", "layer"),
    [
        ("ligdicash._cli._demo", "commands"),
        ("ligdicash._reconcile_round", "apps"),
        ("ligdicash.contrib._handler", "contrib"),
        ("ligdicash._client", "clients"),
        ("ligdicash._stores._sql", "stores"),
        ("ligdicash._types", "core"),
        ("ligdicash._resources", "core"),
    ],
)
def test_modules_sit_in_their_layer(module: str, layer: str) -> None:
    assert module in modules()
    assert layer_of(module) == layer


def report() -> str:
    """The layers, the imports that break them and the circles, as text."""
    graph = import_graph()
    lines = []
    for name in [*(n for n, _ in LAYERS), CORE]:
        members = sorted(m for m in graph if m != PACKAGE and layer_of(m) == name)
        lines.append(f"{name} ({len(members)} modules)")
    problems = broken_rules(graph)
    lines.append(f"imports against the layers: {len(problems)}")
    lines.extend(f"  {p}" for p in problems)
    groups = circles(graph)
    lines.append(f"circles: {len(groups)}")
    lines.extend(f"  {len(g)} modules: {', '.join(g)}" for g in groups)
    return "\n".join(lines)


if __name__ == "__main__":
    print(report())
