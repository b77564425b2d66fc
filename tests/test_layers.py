"""The package's one-way flow (symmaml/__init__.py): no module imports a layer below it in
the flow, and no two modules import each other."""
import ast
import pathlib

import symmaml

ORDER = ["symbols", "printing", "io", "backend", "matrices", "arguments", "stein", "inverse_wishart", "moments", "theory", "claims",
         "numeric", "montecarlo", "rendering", "records", "latex", "nonlinear", "experiments",
         "sweep", "cli", "__main__"]
ROOT = pathlib.Path(symmaml.__file__).parent


def _modules():
    for f in sorted(ROOT.rglob("*.py")):
        parts = f.relative_to(ROOT.parent).with_suffix("").parts
        pkg = f.name == "__init__.py"
        yield ".".join(parts[:-1] if pkg else parts), f, pkg


def _imports(mod, f, pkg):
    base = mod.split(".") if pkg else mod.split(".")[:-1]
    for node in ast.walk(ast.parse(f.read_text())):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            b = base[:len(base) - node.level + 1] if node.level else []
            target = ".".join(b + ([node.module] if node.module else [])) if node.level \
                else node.module
            if node.module is None:             # from .. import theory
                yield from (f"{target}.{a.name}" for a in node.names)
            else:
                yield target


def _layer(name):
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else None


def test_every_package_is_in_the_flow():
    layers = {_layer(m) for m, _, _ in _modules()} - {None}
    assert layers <= set(ORDER), layers - set(ORDER)


def test_imports_only_go_up_the_flow():
    bad = []
    for mod, f, pkg in _modules():
        src = _layer(mod)
        for target in _imports(mod, f, pkg):
            if not target.startswith("symmaml."):
                continue
            dst = _layer(target)
            if src and dst and src != dst and ORDER.index(dst) > ORDER.index(src):
                bad.append(f"{mod} imports {target}")
    assert not bad, "\n".join(bad)


def test_no_two_modules_import_each_other():
    names = {m for m, _, _ in _modules()}
    graph = {m: {t for t in _imports(m, f, pkg) if t in names and t != m}
             for m, f, pkg in _modules()}
    pairs = sorted({tuple(sorted((a, b))) for a in graph for b in graph[a]
                    if a in graph.get(b, ()) and not (a.startswith(b + ".") or b.startswith(a + "."))})
    assert not pairs, pairs


def test_only_the_cli_imports_the_sweep_layer():
    """symmaml.sweep sits just above experiments: it may import every layer below it, and
    nothing but the CLI (and the sweep itself) imports it."""
    bad = [f"{mod} imports {t}" for mod, f, pkg in _modules() for t in _imports(mod, f, pkg)
           if t.startswith("symmaml.sweep") and _layer(mod) not in ("sweep", "cli")]
    assert not bad, "\n".join(bad)
