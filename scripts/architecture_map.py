"""Generate the map in docs/architecture.md from the code itself, so it cannot rot.

Two parts, written between the markers in docs/architecture.md:

- the packages and which imports which (read from the import graph by grimp, the engine of
  import-linter), as a Mermaid diagram and a list of each package's modules with the first line of
  their docstrings;
- every RPC: its servicer method (protobuf in and out) and the application code it calls (class or module
  function and file; no line numbers, so that the map changes only when the structure does), found by
  reading the servicer method's body for `self._<part>.<method>(...)` calls and resolving `<part>`'s type
  from the servicer's constructor annotations.

Usage: `python scripts/architecture_map.py` prints the block; `--write` rewrites docs/architecture.md;
`--check` exits 1 if the document differs (tests/unit/test_architecture_doc.py runs the check).
"""

from __future__ import annotations

import argparse
import ast
import importlib
import inspect
import pathlib
import sys
import typing
from collections.abc import Iterator

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.md"
BEGIN = "<!-- BEGIN GENERATED MAP (scripts/architecture_map.py; `make docs` rewrites it) -->"
END = "<!-- END GENERATED MAP -->"

#: The boxes of the diagram, top to bottom; a box is a package or subpackage (the longest prefix wins).
BOXES = (
    "clients",
    "server",
    "settlement",
    "valuation",
    "deals",
    "audit",
    "valuation.pricing",
    "ledger",
    "toudai.v1",
)
SERVICERS = (
    "server.ledger_servicer",
    "server.deals_servicer",
    "server.settlement_servicer",
    "server.valuation_servicer",
    "server.audit_servicer",
)


def box_of(module: str) -> str | None:
    best = None
    for box in BOXES:
        if (module == box or module.startswith(box + ".")) and (best is None or len(box) > len(best)):
            best = box
    return best


def package_edges() -> list[tuple[str, str]]:
    import grimp

    graph = grimp.build_graph(
        "ledger", "deals", "settlement", "valuation", "audit", "server", "clients", "toudai", cache_dir=None
    )
    edges = set()
    for module in graph.modules:
        source = box_of(module)
        if source is None:
            continue
        for imported in graph.find_modules_directly_imported_by(module):
            target = box_of(imported)
            if target is not None and target != source:
                edges.add((source, target))
    return sorted(edges, key=lambda e: (BOXES.index(e[0]), BOXES.index(e[1])))


def first_line(path: pathlib.Path) -> str:
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def modules_of(box: str) -> Iterator[tuple[str, str]]:
    folder = ROOT / box.replace(".", "/")
    nested = {b for b in BOXES if b.startswith(box + ".")}
    for path in sorted(folder.glob("*.py")):
        name = f"{box}.{path.stem}" if path.stem != "__init__" else box
        yield name, first_line(path)
    for sub in sorted(p for p in folder.iterdir() if p.is_dir() and (p / "__init__.py").exists()):
        name = f"{box}.{sub.name}"
        if name not in nested and box != "toudai.v1":
            yield name + " (package)", first_line(sub / "__init__.py")


def rpc_rows() -> Iterator[tuple[str, str, str]]:
    """(Service.Rpc, servicer method, application code it calls) for every RPC."""
    for module_name in SERVICERS:
        module = importlib.import_module(module_name)
        tree = ast.parse(inspect.getsource(module))
        for node in tree.body:
            if not (isinstance(node, ast.ClassDef) and node.name.endswith("Servicer")):
                continue
            cls = getattr(module, node.name)
            service = next(
                b.__name__.removesuffix("Servicer") for b in cls.__mro__[1:] if b.__name__.endswith("Servicer")
            )
            parts = _constructor_parts(cls)
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name[:1].isupper():
                    where = f"`{node.name}.{item.name}` ({module_name.replace('.', '/')}.py)"
                    calls = sorted(_calls(item, parts) | _function_calls(item, vars(module)))
                    yield f"{service}.{item.name}", where, ", ".join(calls) or "(servicer only)"


def _constructor_parts(cls: type) -> dict[str, type]:
    """`self._x` → its type: the annotation of the constructor parameter assigned to it, or the class
    whose constructor call is assigned to it (`self._reader = JournalReader(...)`)."""
    hints = inspect.get_annotations(cls.__init__, eval_str=True)
    scope = vars(sys.modules[cls.__module__])
    parts: dict[str, type] = {}
    source = ast.parse(inspect.getsource(cls.__init__).strip())
    for node in ast.walk(source):
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.targets[0], ast.Attribute)
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Name)
            and isinstance(scope.get(node.value.func.id), type)
        ):
            parts[node.targets[0].attr] = scope[node.value.func.id]
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.targets[0], ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in hints
        ):
            hint = hints[node.value.id]
            for candidate in getattr(hint, "__args__", (hint,)):
                if isinstance(candidate, type) and candidate is not type(None):
                    parts[node.targets[0].attr] = candidate
    return parts


def _calls(function: ast.FunctionDef, parts: dict[str, type]) -> set[str]:
    found = set()
    for node in ast.walk(function):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Attribute)
            and isinstance(node.func.value.value, ast.Name)
            and node.func.value.value.id == "self"
            and node.func.value.attr in parts
        ):
            cls = parts[node.func.value.attr]
            target = getattr(cls, node.func.attr, None)
            if target is None:  # a method of one of the object's parts, offered as its own (ledger.store.Ledger)
                for part in typing.get_type_hints(cls).values():
                    if isinstance(part, type) and (target := getattr(part, node.func.attr, None)) is not None:
                        cls = part
                        break
            if target is None:
                continue
            target = inspect.unwrap(target)
            try:
                path = pathlib.Path(inspect.getsourcefile(target) or "").resolve().relative_to(ROOT)
                found.add(f"`{cls.__name__}.{node.func.attr}` ({path})")
            except (TypeError, OSError, ValueError):
                found.add(f"`{cls.__name__}.{node.func.attr}`")
    return found


APPLICATION = ("ledger", "deals", "settlement", "valuation", "audit")


def _function_calls(function: ast.FunctionDef, scope: dict[str, object]) -> set[str]:
    """Calls of the application packages' functions: `name(...)` or `module.name(...)` imported into `scope`."""
    found = set()
    for node in ast.walk(function):
        if not isinstance(node, ast.Call):
            continue
        target: object = None
        if isinstance(node.func, ast.Name):
            target = scope.get(node.func.id)
        elif isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name):
            owner = scope.get(node.func.value.id)
            if inspect.ismodule(owner):
                target = getattr(owner, node.func.attr, None)
        if not inspect.isfunction(target) or not target.__module__.startswith(APPLICATION):
            continue
        if target.__module__.split(".")[0] == "ledger" and target.__module__ != "ledger.store":
            continue  # value helpers (names, amounts, errors): not where an RPC's logic lives
        path = pathlib.Path(inspect.getsourcefile(target) or "").resolve().relative_to(ROOT)
        found.add(f"`{target.__module__}.{target.__name__}` ({path})")
    return found


def render() -> str:
    lines = [BEGIN, "", "### Packages and their imports", "", "```mermaid", "graph TD"]
    lines += [f"    {a.replace('.', '_')}[{a}] --> {b.replace('.', '_')}[{b}]" for a, b in package_edges()]
    lines += ["```", "", "### Modules", ""]
    for box in BOXES:
        if box == "toudai.v1":
            lines.append("- **toudai.v1**: Python generated from proto/ by `make proto` (never edited by hand)")
            continue
        lines.append(f"- **{box}**")
        lines += [f"  - `{name}`: {summary}" if summary else f"  - `{name}`" for name, summary in modules_of(box)]
    lines += ["", "### Where each RPC's code lives", "", "| RPC | servicer (protobuf in/out) | application code |"]
    lines.append("|---|---|---|")
    lines += [f"| {rpc} | {where} | {calls} |" for rpc, where, calls in rpc_rows()]
    lines += ["", END]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", action="store_true", help="rewrite the block in docs/architecture.md")
    group.add_argument("--check", action="store_true", help="exit 1 if docs/architecture.md is stale")
    args = parser.parse_args()
    block = render()
    if not (args.write or args.check):
        print(block)
        return 0
    text = DOC.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        print(f"{DOC} has no generated block (markers {BEGIN!r} ... {END!r})", file=sys.stderr)
        return 1
    before, rest = text.split(BEGIN, 1)
    after = rest.split(END, 1)[1]
    updated = before + block + after
    if args.check:
        if updated != text:
            print("docs/architecture.md's map is stale: run `make docs` and commit the result", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(updated, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
