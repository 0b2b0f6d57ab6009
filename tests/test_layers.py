"""The layers hold (docs/ARCHITECTURE.md): read from the source with ast, not by importing, so
a lazy import inside a function counts as much as one at the top of a module.

- the domain app `videos` never imports `monitoring` or `cms_integration` (they plug in
  through their AppConfig.ready and cogvideo_site/urls.py);
- the generation engine (videos/generation) imports nothing web-side: no other videos module,
  no DRF, no Django request/URL/ORM machinery (settings only);
- nothing outside videos/api imports DRF serializers (one validator: job_specs);
- no module of videos, monitoring or cms_integration imports itself back through others.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("videos", "monitoring", "cms_integration")
WEB_SIDE = ("rest_framework", "drf_spectacular", "django.http", "django.urls", "django.db", "django.contrib")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def app_modules() -> dict[str, Path]:
    modules = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            modules[module_name(path)] = path
    return modules


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """Every module `name` imports, anywhere in the file; `from a import b` counts as a.b
    when a.b is a module."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            found.add(source)
            found.update(f"{source}.{alias.name}" for alias in node.names if f"{source}.{alias.name}" in known)
    return found


@cache  # parsed once for every test of this module
def import_graph() -> dict[str, set[str]]:
    modules = app_modules()
    known = set(modules)
    return {name: imports_of(name, path, known) for name, path in modules.items()}


def in_package(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def forbidden_imports(importer: Callable[[str], bool], forbidden: Callable[[str], bool]) -> list[str]:
    """ "a imports b" for every import from a module `importer` accepts of one `forbidden` names."""
    return sorted(
        f"{name} imports {target}"
        for name, targets in import_graph().items()
        if importer(name)
        for target in targets
        if forbidden(target)
    )


def test_videos_never_imports_monitoring_or_cms_integration():
    wrong = forbidden_imports(
        lambda name: in_package(name, "videos"),
        lambda target: in_package(target, "monitoring") or in_package(target, "cms_integration"),
    )
    assert not wrong, wrong


def test_generation_imports_nothing_web_side():
    wrong = forbidden_imports(
        lambda name: in_package(name, "videos.generation"),
        lambda target: (
            (in_package(target, "videos") and not in_package(target, "videos.generation"))
            or any(in_package(target, web) for web in WEB_SIDE)
            or in_package(target, "monitoring")
            or in_package(target, "cms_integration")
        ),
    )
    assert not wrong, wrong


def test_only_the_api_uses_drf_serializers():
    wrong = forbidden_imports(
        lambda name: not in_package(name, "videos.api"),
        lambda target: (
            in_package(target, "videos.api.serializers")
            or in_package(target, "rest_framework.serializers")
            or target == "rest_framework.exceptions"
        ),
    )
    assert not wrong, wrong


def test_the_import_graph_has_no_cycle():
    graph = import_graph()
    internal = {name: {t for t in targets if t in graph and t != name} for name, targets in graph.items()}
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    cycles: list[list[str]] = []

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for target in sorted(internal[name]):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[name] = 2

    for name in sorted(internal):
        if name not in state:
            visit(name, [name])
    assert not cycles, [" -> ".join(cycle) for cycle in cycles]
