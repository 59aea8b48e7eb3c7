"""Every cache of the page is bounded in bytes, not only in entries (issue 14: one student's heavy scenes must not
leave the server holding gigabytes): each ``st.cache_data`` in ``app.py`` and ``ui/`` has a ``max_size``, their sum
stays under a budget, and each ``st.cache_resource`` of a function with arguments has ``max_entries``.

Read from the source (ast), so a new cache without a bound fails here; the sizes are parsed by hand ("64MB" is
64 × 10⁶ bytes, Streamlit's decimal units).
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUDGET = 512e6  # bytes of all the page's st.cache_data caches together (the shared study results come on top: 96 MB)
UNITS = {"KB": 1e3, "MB": 1e6, "GB": 1e9}


def decorated():
    """(file, function name, "cache_data" or "cache_resource", its keyword arguments as source, has parameters)."""
    for path in [ROOT / "app.py", *sorted((ROOT / "ui").glob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef):
                continue
            for decorator in node.decorator_list:
                call = decorator if isinstance(decorator, ast.Call) else None
                target = call.func if call else decorator
                if isinstance(target, ast.Attribute) and target.attr in ("cache_data", "cache_resource"):
                    keywords = {k.arg: ast.literal_eval(k.value) if isinstance(k.value, ast.Constant) else None
                                for k in (call.keywords if call else [])}
                    yield path.name, node.name, target.attr, keywords, bool(node.args.args)


def size_bytes(text: str) -> float:
    number, unit = text[:-2], text[-2:].upper()
    return float(number) * UNITS[unit]


def test_every_data_cache_is_bounded_in_bytes_and_together_under_the_budget():
    caches = [entry for entry in decorated() if entry[2] == "cache_data"]
    assert len(caches) >= 15  # the page's caches were found
    unbounded = [f"{file}:{name}" for file, name, _, keywords, _ in caches if not keywords.get("max_size")]
    assert unbounded == []
    total = sum(size_bytes(keywords["max_size"]) for *_, keywords, _ in caches)
    assert total <= BUDGET, f"{total / 1e6:.0f} MB"


def test_every_resource_cache_with_arguments_is_bounded_in_entries():
    loose = [f"{file}:{name}" for file, name, kind, keywords, has_args in decorated()
             if kind == "cache_resource" and has_args and not keywords.get("max_entries")]
    assert loose == []


def test_the_size_reader():
    assert size_bytes("64MB") == 64e6 and size_bytes("1MB") == 1e6 and size_bytes("8mb") == 8e6


def test_a_scenes_repr_names_every_field_so_it_can_key_the_caches():
    """ui/views.py keys the path and view caches by ``repr(scene)`` (``BY_REPR``): every field of Scene and of
    RunSpec must be in it, and two scenes that differ in one float must differ in it."""
    import dataclasses

    import page_model
    from page_model import RunSpec, Scene

    assert all(field.repr for field in dataclasses.fields(Scene))
    assert all(field.repr for field in dataclasses.fields(RunSpec))
    scene = page_model.DEFAULT_SCENE
    nudged = dataclasses.replace(scene, start=(scene.start[0] + 1e-12, scene.start[1]))
    assert repr(nudged) != repr(scene)
    run = scene.runs[0]
    other = RunSpec(run.optimizer, tuple((k, v + 1e-15 if k == "lr" else v) for k, v in run.hyper))
    assert repr(dataclasses.replace(scene, runs=(other,) + scene.runs[1:])) != repr(scene)
