"""Apps lower in the flow never import apps above them (DESIGN.md): `interception`, `accounts` and `people`
publish domain events (core.events) instead of calling case files, alerts or exports (and people names other
apps' records through registries they fill in), and no app imports `config`."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LOWER_APPS = ["interception", "accounts", "people"]
ABOVE = ("cases", "prosecution", "reports", "alerts", "exports", "config")


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """Every module a file imports, at the top or inside a function, with its line number."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
        elif (  # importlib.import_module("alerts.services") is an import too
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value))
    return found


def forbidden(module: str) -> bool:
    return any(module == top or module.startswith(f"{top}.") for top in ABOVE)


@pytest.mark.parametrize("app", LOWER_APPS)
def test_lower_apps_import_no_module_of_the_apps_above_them(app):
    offenders = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in sorted((ROOT / app).rglob("*.py"))
        for line, module in imported_modules(path)
        if forbidden(module)
    ]
    assert offenders == [], "publish a domain event (core.events) instead:\n" + "\n".join(offenders)


def test_the_scan_finds_a_forbidden_import(tmp_path):
    sample = tmp_path / "services.py"
    sample.write_text(
        "def f():\n    from alerts.services import queue_security_check\n    import config.celery\n"
    )
    assert [m for _, m in imported_modules(sample) if forbidden(m)] == ["alerts.services", "config.celery"]
    assert not forbidden("alertsx") and not forbidden("core.events")
