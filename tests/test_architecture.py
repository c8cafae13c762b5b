"""The layout of DESIGN.md section 1 holds: layers import only downwards, and modules stay small."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "exporter"
MAX_LINES = 300
# What each layer must never import: a lower layer knows nothing of the ones built on it.
FORBIDDEN = {
    "config": ("polling", "exposition", "web", "runtime", "cli", "simulator"),
    "swr": ("collectors", "polling", "exposition", "web", "runtime", "cli", "simulator"),
    "collectors": ("polling", "exposition", "web", "runtime", "cli", "simulator"),
    "polling": ("exposition", "web", "runtime", "cli", "simulator"),
    "exposition": ("web", "runtime", "cli", "simulator"),
    "web": ("runtime", "cli", "simulator"),
    "simulator": ("collectors", "polling", "exposition", "web", "runtime", "cli"),
    "metrics": ("config", "swr", "collectors", "polling", "exposition", "web", "runtime", "cli"),
}


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def layer(path: Path) -> str:
    return path.relative_to(PACKAGE).with_suffix("").parts[0]


def imported(path: Path) -> set[str]:
    """The exporter layers a module imports, at any depth of the file (function-level imports too)."""
    layers = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "exporter" and len(parts) > 1:
                layers.add(parts[1])
    return layers


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_a_layer_above_its_own(path: Path) -> None:
    wrong = imported(path) & set(FORBIDDEN.get(layer(path), ()))
    assert not wrong, f"{path.relative_to(PACKAGE)} imports {sorted(wrong)}"


def test_relative_imports_are_not_used_so_the_layer_check_sees_every_import() -> None:
    relative = [str(p.relative_to(PACKAGE)) for p in modules()
                if any(isinstance(n, ast.ImportFrom) and n.level for n in ast.walk(ast.parse(p.read_text())))]
    assert relative == []


def test_the_check_catches_an_upward_import(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text("def f():\n    from exporter.web import server\n")
    assert imported(module) == {"web"}


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_is_longer_than_three_hundred_lines(path: Path) -> None:
    assert len(path.read_text().splitlines()) <= MAX_LINES
