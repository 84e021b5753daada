"""The shape of the code (issue 9, docs/architecture.md): the domain and rules modules are plain
Python with no Flask; the sync engine in sync/ imports nothing from fieldvisit; and no module of
fieldvisit imports one that imports it back, directly or through others.

Imports are read from each file's syntax tree (ast), including imports inside functions, so a
late `import` to dodge a cycle at load time still counts."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "fieldvisit"


def module_files(top):
    """{dotted module name: (path, is_package)} for every .py file under ROOT/top."""
    found = {}
    for path in sorted((ROOT / top).rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        found[".".join(parts)] = (path, is_package)
    return found


def imported_names(name, path, is_package):
    """(line, dotted name) of everything a module imports; `from x import y` gives both x.y
    and x, so the caller can tell a submodule from a name defined in x."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = name if is_package else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, None
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:max(0, len(base) - (node.level - 1))]  # `from .. import x` beyond the top: x
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module
            for alias in node.names:
                yield node.lineno, module, alias.name


def import_graph(modules):
    """module -> {imported module of the same tree: line of the first such import}.

    `import a.b.c` and `from a.b import c` (c a module) depend on a.b.c; `from a.b import f`
    (f defined in a/b/__init__.py) depends on a.b. Python runs parent packages' __init__ first
    by itself, which is not an import the module makes."""
    graph = {}
    for name, (path, is_package) in modules.items():
        edges = {}
        for line, module, member in imported_names(name, path, is_package):
            target = f"{module}.{member}" if member and f"{module}.{member}" in modules else module
            while target and target not in modules:  # `import fieldvisit.x.y` of a name inside a module
                target = target.rpartition(".")[0]
            if target and target != name:
                edges.setdefault(target, line)
        graph[name] = edges
    return graph


def find_cycle(graph):
    """One import cycle as a list [a, b, ..., a], or None."""
    state = {}  # name -> "open" while on the current path, "done" after

    def visit(node, path):
        state[node] = "open"
        path.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                return path[path.index(target):] + [target]
            if target not in state:
                cycle = visit(target, path)
                if cycle:
                    return cycle
        path.pop()
        state[node] = "done"
        return None

    for start in sorted(graph):
        if start not in state:
            cycle = visit(start, [])
            if cycle:
                return cycle
    return None


def describe(cycle, graph, modules):
    return "\n".join(f"  {a} (line {graph[a][b]} of {modules[a][0].relative_to(ROOT)}) imports {b}"
                     for a, b in zip(cycle, cycle[1:]))


def test_the_import_graph_is_read_from_the_code():
    """The graph this file checks is the real one (a graph with no edges would pass anything)."""
    modules = module_files(PACKAGE)
    graph = import_graph(modules)
    assert "fieldvisit.visits.domain" in graph["fieldvisit.visits.views"]
    assert "fieldvisit.settings" in graph["fieldvisit.today.views"]  # `from fieldvisit import settings`
    assert "fieldvisit" not in graph["fieldvisit.today.views"]
    assert find_cycle({"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b": 1}, "b": {}, "c": {"a": 1, "b": 1}}) is None


def test_no_module_of_fieldvisit_imports_one_that_imports_it_back():
    modules = module_files(PACKAGE)
    graph = import_graph(modules)
    cycle = find_cycle(graph)
    assert cycle is None, "An import cycle (views -> domain -> data, never back):\n" + describe(cycle, graph, modules)


def domain_modules(modules):
    return sorted(name for name in modules if name.count(".") == 2
                  and name.rpartition(".")[2] in ("domain", "rules", "queries"))


def test_domain_and_rules_modules_do_not_import_flask():
    """Not directly, and not through another module of fieldvisit they import."""
    modules = module_files(PACKAGE)
    graph = import_graph(modules)
    checked = domain_modules(modules)
    assert "fieldvisit.visits.domain" in checked and "fieldvisit.children_alone.rules" in checked
    problems = []
    for start in checked:
        seen, todo = {start: [start]}, [start]
        while todo:
            name = todo.pop()
            path, is_package = modules[name]
            web = [(line, module) for line, module, _ in imported_names(name, path, is_package)
                   if (module or "").split(".")[0] in ("flask", "flask_wtf", "werkzeug", "jinja2")]
            if web:
                line, module = web[0]
                problems.append(f"{' -> '.join(seen[name])} imports {module} (line {line} of {path.relative_to(ROOT)})")
            for target in graph[name]:
                if target not in seen:
                    seen[target] = seen[name] + [target]
                    todo.append(target)
    assert not problems, "Domain and rules modules must be plain Python, without Flask:\n" + "\n".join(problems)


def test_the_sync_engine_imports_nothing_from_fieldvisit():
    modules = module_files("sync")
    assert "sync.engine" in modules
    problems = []
    for name, (path, is_package) in modules.items():
        for line, module, member in imported_names(name, path, is_package):
            full = ".".join(part for part in (module, member) if part)  # `from .. import fieldvisit` too
            if full.split(".")[0] == PACKAGE:
                problems.append(f"{path.relative_to(ROOT)} line {line} imports {full}")
    assert not problems, "sync/ must not import fieldvisit:\n" + "\n".join(problems)
