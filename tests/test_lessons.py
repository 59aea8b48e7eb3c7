"""Lessons (lessons/): the built-in lessons load cleanly and every claim they make holds on their scenes; a
broken lesson file gives problems naming the step and the field, and the rest still loads."""

import ast
import dataclasses
import http.server
import re
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs

import pytest

import lessons
import page_model
from lessons import facts, remote, scenes
from lessons.loader import MAX_FILE_BYTES, MAX_STEPS, MAX_TEXT

ROOT = Path(__file__).resolve().parents[1]
LESSON_FILES = [lessons.BUILTIN_DIR / f"{lesson_id}.toml" for lesson_id in lessons.BUILTIN]
CJK = re.compile(r"[\u4e00-\u9fff]")


def builtin_steps():
    return [pytest.param(lesson, step, id=f"{lesson.id}-{step.number}") for lesson in lessons.builtin()
            for step in lesson.steps]


def builtin_facts():
    return [pytest.param(step.scene, fact, id=f"{lesson.id}-{step.number}-{index}-{fact.kind}")
            for lesson in lessons.builtin() for step in lesson.steps for index, fact in enumerate(step.facts)]


def texts_of(lesson):
    """Every Translated of a lesson, with where it is."""
    found = [("title", lesson.title), ("summary", lesson.summary)]
    for step in lesson.steps:
        found.append((f"step {step.number} text", step.text))
        if step.question:
            found.append((f"step {step.number} question", step.question.prompt))
            found += [(f"step {step.number} choice {i}", c) for i, c in enumerate(step.question.choices)]
    return found


# --- the built-in lessons ------------------------------------------------------------------------------------


def test_the_builtin_lessons_are_the_notes_story_in_order():
    assert [lesson.id for lesson in lessons.builtin()] == list(lessons.BUILTIN) == [
        "sgd_slow", "momentum", "adaptive", "saddles", "learning_rate", "search", "second_order"]
    assert sorted(p.stem for p in lessons.BUILTIN_DIR.glob("*.toml")) == sorted(lessons.BUILTIN)
    assert lessons.by_id("momentum").title.en == "Momentum and Nesterov"
    assert lessons.by_id("nowhere") is None


@pytest.mark.parametrize("path", LESSON_FILES, ids=lambda p: p.stem)
def test_every_builtin_lesson_loads_without_problems(path):
    lesson, problems = lessons.load_path(path)
    assert problems == []
    assert lesson.id == path.stem
    assert 5 <= len(lesson.steps) <= 10
    assert [step.number for step in lesson.steps] == list(range(1, len(lesson.steps) + 1))


@pytest.mark.parametrize("lesson", lessons.builtin(), ids=lambda lesson: lesson.id)
def test_every_text_is_in_english_and_in_chinese(lesson):
    for where, text in texts_of(lesson):
        assert text.en and text.zh, where
        if len(text.en) > 12:  # a choice such as "μ = 0.9" reads the same in both
            assert CJK.search(text.zh) and not CJK.search(text.en), where


@pytest.mark.parametrize("lesson, step", builtin_steps())
def test_every_step_has_a_valid_scene_a_claim_and_a_valid_question(lesson, step):
    query = parse_qs(step.query, keep_blank_values=True)
    scene_part = {key: value if key == "run" else value[-1] for key, value in query.items()
                  if key not in scenes.PLACE_DEFAULTS}
    scene, warnings = page_model.from_query(scene_part)
    assert warnings == [] and scene == step.scene
    assert scenes.read_scene(step.query)[2] == []
    assert step.scene.runs, "a step shows at least one run"
    assert step.facts, "each step's text states a fact, and the step carries it"
    assert set(step.place) == set(scenes.PLACE_DEFAULTS)
    if step.question is not None:
        assert 2 <= len(step.question.choices) <= 6
        assert step.question.answer in range(len(step.question.choices))


@pytest.mark.parametrize("scene, fact", builtin_facts())
def test_every_fact_of_every_step_holds(scene, fact):
    ok, sentence = lessons.check(scene, fact)
    assert ok, sentence


def test_the_lessons_use_every_kind_of_fact():
    used = {fact.kind for lesson in lessons.builtin() for step in lesson.steps for fact in step.facts}
    assert used == set(facts.KINDS)


def test_each_lesson_covers_its_part_of_the_notes():
    def scenes_of(lesson_id):
        return [step.scene for step in lessons.by_id(lesson_id).steps]

    def optimizers(lesson_id):
        return {run.optimizer for scene in scenes_of(lesson_id) for run in scene.runs}

    def options(lesson_id):
        return {(run.optimizer, k, v) for scene in scenes_of(lesson_id) for run in scene.runs for k, v in run.hyper}

    assert any(s.surface == "bowl" for s in scenes_of("sgd_slow"))
    assert {"momentum", "nesterov"} <= optimizers("momentum")
    assert ("nesterov", "form", "reformulated") in options("momentum")
    assert any(s.mu_ramp for s in scenes_of("momentum"))
    assert {"adagrad", "rmsprop", "adam"} <= optimizers("adaptive")
    assert ("adam", "bias_correction", False) in options("adaptive")
    assert any(k == "eps_placement" and v == "inside" for _, k, v in options("adaptive"))
    assert {"saddle", "monkey_saddle", "two_wells"} <= {s.surface for s in scenes_of("saddles")}
    assert {"step", "exponential", "inverse_time"} <= {s.schedule for s in scenes_of("learning_rate")}
    places = {(step.place["view"], step.place["explore"]) for lesson in lessons.builtin() for step in lesson.steps}
    assert {("explore", "learning_rates"), ("explore", "random_search"), ("explore", "basins")} <= places
    assert {"newton", "bfgs", "lbfgs"} <= optimizers("second_order")


# --- facts: golden values from hand computation -----------------------------------------------------------------


BOWL, _, _ = scenes.read_scene("surface=bowl&start=-7,2&steps=60&run=sgd:lr=0.95&run=sgd:lr=1.05")


def test_the_bowl_closed_forms():
    # f = x²/20 + y²: H = diag(1/10, 2), so λmax = 2, 2/λmax = 1 and κ = 20
    assert lessons.check(BOWL, {"kind": "lr_limit", "value": 1.0})[0]
    assert lessons.check(BOWL, {"kind": "condition", "value": 20.0})[0]
    ok, sentence = lessons.check(BOWL, {"kind": "lr_limit", "value": 1.1})
    assert not ok and "2/λmax = 1" in sentence and "expected 1.1" in sentence
    # SGD's first step is η‖∇f(−7, 2)‖ = 0.95·‖(−0.7, 4)‖ = 0.95·√16.49
    assert lessons.check(BOWL, {"kind": "first_step", "run": 0, "length": 0.95 * 16.49 ** 0.5, "rel": 1e-9})[0]


def test_a_false_claim_fails_and_says_what_was_measured():
    ok, sentence = lessons.check(BOWL, {"kind": "faster", "run": 0, "than": 1, "factor": 100})
    assert ok  # run 1 never reaches the tolerance: any factor holds
    ok, sentence = lessons.check(BOWL, {"kind": "diverges", "run": 0})
    assert not ok and "6.45" in sentence  # f − f* at the start: 49/20 + 4
    ok, sentence = lessons.check(BOWL, {"kind": "converges", "run": 0, "within": 10})
    assert not ok and "at step 43" in sentence
    ok, sentence = lessons.check(BOWL, {"kind": "faster", "run": 1, "than": 0})
    assert not ok and "never" in sentence


def test_an_invalid_fact_is_refused_with_its_reason():
    ok, sentence = lessons.check(BOWL, {"kind": "faster", "run": 0, "than": 7})
    assert not ok and "than" in sentence and "0 … 1" in sentence
    ok, sentence = lessons.check(BOWL, {"kind": "teleports", "run": 0})
    assert not ok and "kind = 'teleports'" in sentence


def test_the_cost_of_newton_in_high_dimension():
    scene = page_model.DEFAULT_SCENE
    n = 10**6
    assert lessons.check(scene, {"kind": "cost", "parameters": n, "hessian_entries": 1e12, "inversion_flops": 1e18,
                                 "hessian_bytes": 4e12})[0]
    assert not lessons.check(scene, {"kind": "cost", "parameters": n, "hessian_entries": 1e9})[0]


def test_the_place_vocabulary_is_the_pages():
    from ui import explore_tab
    from ui.state import slug
    app = ast.parse((ROOT / "app.py").read_text(encoding="utf-8"))
    views = next(ast.literal_eval(node.value) for node in app.body if isinstance(node, ast.Assign)
                 and any(getattr(t, "id", None) == "VIEWS" for t in node.targets))
    assert scenes.VIEWS == tuple(slug(name) for name in views)
    assert scenes.EXPLORE_VIEWS == tuple(slug(name) for name in explore_tab.VIEWS)


# --- the file format --------------------------------------------------------------------------------------------

GOOD = '''
id = "tiny"
[title]
en = "A tiny lesson"
zh = "一节小课"

[[steps]]
scene = "surface=saddle&steps=20&run=sgd:lr=0.05&view=explore&explore=one-step&speed=2&hide=0&arrows=1"
[steps.text]
en = "SGD on the saddle."
zh = "鞍点上的 SGD。"
[steps.question]
en = "Where does it go?"
zh = "它去哪里？"
choices = [{en = "Here", zh = "这里"}, {en = "There", zh = "那里"}]
answer = 1
[[steps.facts]]
kind = "misses"
run = 0

[[steps]]
scene = """surface=bowl&start=-7,2
           &run=sgd:lr=0.95"""
[steps.text]
en = "The bowl."
zh = "碗。"
'''


def with_step(extra_step: str) -> str:
    """GOOD with a third step appended."""
    return GOOD + "\n[[steps]]\n" + extra_step


def test_a_good_file_loads_every_field():
    lesson, problems = lessons.load(GOOD, source="tiny.toml")
    assert problems == []
    assert (lesson.id, lesson.title.get("zh"), lesson.source) == ("tiny", "一节小课", "tiny.toml")
    assert len(lesson.steps) == 2
    first, second = lesson.steps
    assert (first.scene.surface, first.scene.steps, first.scene.runs[0].optimizer) == ("saddle", 20, "sgd")
    assert dict(first.place) == {"view": "explore", "explore": "one_step", "speed": 2.0, "hide": False,
                                 "arrows": True}
    assert first.question.answer == 1 and first.question.choices[1].get("zh") == "那里"
    assert first.facts == (lessons.Fact("misses", (("run", 0),)),)
    assert second.query == "surface=bowl&start=-7,2&run=sgd:lr=0.95"  # a scene may be broken over lines
    assert dict(second.place) == dict(lessons.PLACE_DEFAULTS)
    assert lesson.step(2) is second and lesson.step(3) is None


def test_the_place_travels_back_into_a_url():
    lesson, _ = lessons.load(GOOD)
    query = lessons.place_query(lesson.steps[0].place)
    assert query == {"view": "explore", "explore": "one_step", "speed": "2", "hide": "0", "arrows": "1"}
    assert dict(scenes.read_place(query)[0]) == dict(lesson.steps[0].place)
    assert lessons.place_query(lesson.steps[1].place) == {}


def test_a_whole_copied_link_is_a_scene():
    scene, place, problems = lessons.read_scene("http://localhost:8501/?surface=beale&steps=12&view=update_rules")
    assert problems == [] and (scene.surface, scene.steps, place["view"]) == ("beale", 12, "update_rules")


def test_lessons_are_immutable():
    lesson, _ = lessons.load(GOOD)
    with pytest.raises(dataclasses.FrozenInstanceError):
        lesson.id = "other"
    with pytest.raises(dataclasses.FrozenInstanceError):
        lesson.steps[0].text.en = "changed"
    with pytest.raises(TypeError):
        lesson.steps[0].place["view"] = "paths"
    assert isinstance(lesson.steps, tuple) and isinstance(lesson.steps[0].question.choices, tuple)


# --- broken files: a problem naming the step and the field, the rest loads -------------------------------------


def test_unknown_keys_are_named_and_ignored():
    text = GOOD.replace('id = "tiny"', 'id = "tiny"\nauthor = "me"').replace(
        '[steps.text]\nen = "The bowl."', 'sceen = "x"\n[steps.text]\nfr = "Le bol."\nen = "The bowl."')
    lesson, problems = lessons.load(text)
    assert len(lesson.steps) == 2 and lesson.steps[1].text.en == "The bowl."
    assert any(p.startswith("author: unknown key") for p in problems)
    assert any(p.startswith("step 2, sceen: unknown key") for p in problems)
    assert any(p.startswith("step 2, text.fr: unknown key") for p in problems)


def test_a_bad_scene_value_keeps_its_default_and_the_rest_of_the_scene():
    text = with_step('scene = "surface=saddle&steps=many&run=sgd:lr=0.05,mu=0.9&run=teleport&view=nowhere&'
                     'speed=fast&hide=2&survace=bowl&lang=zh"\ntext = {en = "x", zh = "甲"}')
    lesson, problems = lessons.load(text)
    step = lesson.steps[2]
    assert (step.scene.surface, step.scene.steps, len(step.scene.runs)) == ("saddle", 30, 1)
    assert dict(step.place) == dict(lessons.PLACE_DEFAULTS)
    mine = [p for p in problems if p.startswith("step 3, scene: ")]
    for needle in ("steps='many'", "'mu' is not a hyperparameter of sgd", "run 2", "view='nowhere'",
                   "speed='fast'", "hide='2'", "unknown key 'survace'", "'lang' is the teacher's setting"):
        assert any(needle in p for p in mine), needle
    assert len(lesson.steps) == 3 and lesson.steps[0].scene.surface == "saddle"


def test_a_missing_translation_shows_the_other_language():
    lesson, problems = lessons.load(GOOD.replace('zh = "碗。"\n', ""))
    assert lesson.steps[1].text.zh == "The bowl."
    assert "step 2, text.zh: missing; the English is shown instead." in problems
    lesson, problems = lessons.load(GOOD.replace('en = "A tiny lesson"\n', ""))
    assert lesson.title.en == "一节小课" and "title.en: missing; the Chinese is shown instead." in problems
    lesson, problems = lessons.load(GOOD.replace('{en = "There", zh = "那里"}', '{en = "There"}'))
    assert "step 1, question.choices[1].zh: missing; the English is shown instead." in problems


def test_an_answer_that_is_no_choice():
    for answer in ("2", "-1", "true", '"1"'):
        lesson, problems = lessons.load(GOOD.replace("answer = 1", f"answer = {answer}"))
        question = lesson.steps[0].question
        assert question.answer is None and len(question.choices) == 2
        assert any(p.startswith("step 1, question.answer:") for p in problems), answer


def test_choices_are_bounded():
    many = ", ".join(f'{{en = "c{i}", zh = "选{i}"}}' for i in range(10))
    lesson, problems = lessons.load(GOOD.replace('[{en = "Here", zh = "这里"}, {en = "There", zh = "那里"}]',
                                                 f"[{many}]"))
    assert len(lesson.steps[0].question.choices) == 6
    assert any(p.startswith("step 1, question.choices: 10 choices") for p in problems)
    lesson, problems = lessons.load(GOOD.replace(', {en = "There", zh = "那里"}', ""))
    assert lesson.steps[0].question is None and any("question: left out" in p for p in problems)


def test_bad_facts_are_named_and_left_out():
    text = with_step('scene = "surface=bowl&run=sgd:lr=0.1"\ntext = {en = "x", zh = "甲"}\n'
                     'facts = [{kind = "faster", run = 0, than = 3}, {kind = "teleports"}, '
                     '{kind = "converges", run = 0, whithin = 3}, {kind = "ends_near", run = 0}, '
                     '{kind = "converges", run = 0}]')
    lesson, problems = lessons.load(text)
    assert lesson.steps[2].facts == (lessons.Fact("converges", (("run", 0),)),)
    mine = [p for p in problems if p.startswith("step 3, fact ")]
    assert any(p.startswith("step 3, fact 1: faster: than = 3 is not a run of this scene: 0 … 0") for p in mine)
    assert any(p.startswith("step 3, fact 2: kind = 'teleports'") for p in mine)
    assert any(p.startswith("step 3, fact 3: converges: unknown parameter 'whithin'") for p in mine)
    assert any(p.startswith("step 3, fact 4: ends_near: point is missing") for p in mine)


def test_too_long_a_text_is_cut_with_a_problem():
    long_text = "x" * (MAX_TEXT + 500)
    lesson, problems = lessons.load(GOOD.replace('en = "The bowl."', f'en = "{long_text}"'))
    assert len(lesson.steps[1].text.en) == MAX_TEXT
    assert f"step 2, text.en: {MAX_TEXT + 500:,} characters; at most {MAX_TEXT:,} (cut there)." in problems


def test_a_ten_megabyte_file_is_refused_at_once():
    start = time.perf_counter()
    lesson, problems = lessons.load("#" * 10_000_000, source="huge.toml")
    assert time.perf_counter() - start < 0.5
    assert lesson.steps == () and lesson.id == "huge"
    assert len(problems) == 1 and f"at most {MAX_FILE_BYTES:,} bytes" in problems[0]
    lesson, problems = lessons.load(b"x" * (MAX_FILE_BYTES + 1))
    assert lesson.steps == () and "bytes" in problems[0]


def test_a_thousand_steps_keep_the_first_thirty():
    step = '[[steps]]\nscene = "surface=bowl&run=sgd:lr=0.1"\ntext = {en = "x", zh = "甲"}\n'
    start = time.perf_counter()
    lesson, problems = lessons.load('id = "many"\ntitle = {en = "Many", zh = "多"}\n' + step * 1000)
    assert time.perf_counter() - start < 5
    assert len(lesson.steps) == MAX_STEPS
    assert problems == [f"steps: 1,000 steps; a lesson may have at most {MAX_STEPS}: the first {MAX_STEPS} are kept."]


@pytest.mark.parametrize("text, needle", [
    ("id = ", "not a valid TOML file"),
    ("x = " + "[" * 5000 + "]" * 5000, "not a valid TOML file"),
    ('id = "tiny"\nsteps = "all of them"', "steps: not a list of tables"),
    ('id = "tiny"\ntitle = 3\n[[steps]]\nscene = 4\ntext = "only English"', "title: not a table"),
    ('id = "Not An Id!"\n[[steps]]\nscene = ""\ntext = {en = "x", zh = "甲"}', "id: 'Not An Id!' is not an id"),
    ('id = "tiny"', "steps: missing"),
])
def test_malformed_files_give_a_problem_never_an_exception(text, needle):
    lesson, problems = lessons.load(text)
    assert any(needle in p for p in problems), problems
    assert isinstance(lesson, lessons.Lesson)


def test_wrong_types_in_a_step_are_named():
    lesson, problems = lessons.load('id = "tiny"\ntitle = {en = "T", zh = "题"}\n[[steps]]\nscene = 4\n'
                                    'text = "only English"\nquestion = "why?"\nfacts = {kind = "misses"}')
    assert len(lesson.steps) == 1 and lesson.steps[0].scene == page_model.DEFAULT_SCENE
    for needle in ("step 1, scene: not a string", "step 1, text: a plain string", "step 1, question: not a table",
                   "step 1, facts: not a list"):
        assert any(p.startswith(needle) for p in problems), needle


def test_bytes_that_are_not_utf8():
    lesson, problems = lessons.load(b'id = "x"\xff\xfe', source="bad.toml")
    assert lesson.steps == () and problems == ["the file is not UTF-8 text (byte 8)."]
    lesson, problems = lessons.load(GOOD.encode("utf-8"))
    assert problems == [] and len(lesson.steps) == 2


def test_html_and_scripts_are_kept_as_text_and_nothing_is_run():
    nasty = '<script>alert(1)</script> <img src=x onerror=alert(2)> __import__("os").system("echo hi")'
    text = GOOD.replace('en = "The bowl."', f"en = '{nasty}'").replace(
        'scene = "surface=saddle', 'scene = "surface=formula&formula=__import__(%22os%22)&x=<script>&surface.a=1')
    lesson, problems = lessons.load(text)
    assert lesson.steps[1].text.en == nasty  # verbatim: the page shows it as Markdown without HTML
    assert lesson.steps[0].scene.surface == "bowl"  # the formula parser refused it: the default surface
    assert any("formula=" in p and "cannot be used" in p for p in problems)
    assert not any("script" in p.lower() and "step 2" in p for p in problems)


def test_the_loader_never_evaluates_or_imports_lesson_content():
    source = "\n".join(path.read_text(encoding="utf-8") for path in (ROOT / "lessons").glob("*.py"))
    assert not re.search(r"(?<![\w.])(eval|exec|compile)\(", source)  # re.compile is fine
    for word in ("__import__", "importlib", "pickle", "subprocess", "os.system"):
        assert word not in source, word


# --- a lesson file from a URL (lessons/remote.py) against a local server: no internet needed ------------------

MINE = (lessons.BUILTIN_DIR / "sgd_slow.toml").read_bytes()


class _LessonHandler(http.server.BaseHTTPRequestHandler):
    """GET /<name>: what ROUTES says (status, headers, body, seconds to wait first); a trickle streams slowly."""

    routes: dict = {}

    def do_GET(self):  # noqa: N802  (http.server's name)
        route = self.routes.get(self.path.split("?")[0])
        if route is None:
            self.send_error(404, "Not Found")
            return
        status, headers, body, wait = route
        if wait:
            time.sleep(wait)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if "Content-Length" not in headers and "Transfer-Encoding" not in headers:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            if headers.get("Transfer-Encoding") == "chunked":  # no length announced: the reader must count
                for start in range(0, len(body), 50_000):
                    piece = body[start:start + 50_000]
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                self.wfile.write(b"0\r\n\r\n")
            else:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the reader stopped at its bound
            pass

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture(scope="module")
def lesson_server():
    """A local http.server on a free port; yields its base URL, e.g. "http://127.0.0.1:8123"."""
    big = b"# padding\n" * (MAX_FILE_BYTES // 10 + 10)
    _LessonHandler.routes = {
        "/mine.toml": (200, {"Content-Type": "text/plain; charset=utf-8"}, MINE, 0),
        "/bom.toml": (200, {}, b"\xef\xbb\xbf" + MINE, 0),
        "/big.toml": (200, {}, big, 0),
        "/big-chunked.toml": (200, {"Transfer-Encoding": "chunked"}, big, 0),
        "/exact.toml": (200, {}, (b"#" * (MAX_FILE_BYTES - 1)) + b"\n", 0),
        "/latin1.toml": (200, {}, 'title = "caf\xe9"\n'.encode("latin-1"), 0),
        "/slow.toml": (200, {}, MINE, 3),
        "/page.html": (200, {"Content-Type": "text/html"}, b"<!DOCTYPE html><html><body>a page</body></html>", 0),
        "/to-file": (302, {"Location": "file:///etc/passwd"}, b"", 0),
        "/to-ftp": (301, {"Location": "ftp://127.0.0.1/mine.toml"}, b"", 0),
        "/to-mine": (302, {"Location": "/mine.toml"}, b"", 0),
        "/gone": (500, {}, b"oops", 0),
    }
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _LessonHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    """The local server is reached directly, whatever proxy the machine's environment names."""
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


def fetch_error(url, **options) -> remote.FetchError:
    with pytest.raises(remote.FetchError) as caught:
        remote.fetch(url, **options)
    error = caught.value
    assert str(error).endswith(".") and CJK.search(error.zh), error  # a sentence, and its Chinese
    return error


def test_a_fetched_file_loads_as_an_uploaded_one_does(lesson_server):
    text = remote.fetch(lesson_server + "/mine.toml")
    assert text == MINE.decode("utf-8")
    lesson, problems = lessons.load(text, source=lesson_server + "/mine.toml")
    assert lesson == dataclasses.replace(lessons.by_id("sgd_slow"), source=lesson_server + "/mine.toml")
    assert problems == []
    assert remote.fetch(lesson_server + "/bom.toml") == text  # a byte-order mark is dropped
    assert remote.fetch(lesson_server + "/to-mine") == text  # a redirect to http is followed
    assert len(remote.fetch(lesson_server + "/exact.toml").encode()) == MAX_FILE_BYTES  # the bound itself is fine


def test_an_http_error_names_its_status(lesson_server):
    assert "HTTP 404" in str(fetch_error(lesson_server + "/nothing-here.toml"))
    assert "HTTP 500" in str(fetch_error(lesson_server + "/gone"))


def test_a_file_larger_than_the_loaders_bound_is_refused(lesson_server):
    assert remote.MAX_FILE_BYTES == MAX_FILE_BYTES  # the same bound as an uploaded file
    for name in ("/big.toml", "/big-chunked.toml"):  # announced by its length, or found by counting
        error = fetch_error(lesson_server + name)
        assert "larger than 200,000 bytes" in str(error), name
    assert "larger than 100 bytes" in str(fetch_error(lesson_server + "/mine.toml", max_bytes=100))


@pytest.mark.parametrize("url, needle", [
    ("file:///etc/passwd", "not file:"),
    ("ftp://127.0.0.1/mine.toml", "not ftp:"),
    ("data:text/plain,id%3D%22x%22", "not data:"),
    ("javascript:alert(1)", "not javascript:"),
    ("//example.org/mine.toml", "does not start with https://"),
    ("example.org/mine.toml", "does not start with https://"),
    ("https:///mine.toml", "names no server"),
    ("https://exa mple.org/x.toml", "spaces or control characters"),
    ("http://127.0.0.1:port/x.toml", "not a valid address"),
    ("", "no address given"),
    ("https://example.org/" + "x" * 3000, "at most 2,000"),
])
def test_only_an_http_or_https_address_is_fetched(url, needle):
    assert needle in str(fetch_error(url))


def test_a_redirect_to_another_scheme_is_refused(lesson_server):
    assert "redirected to a file: address" in str(fetch_error(lesson_server + "/to-file"))
    assert "redirected to a ftp: address" in str(fetch_error(lesson_server + "/to-ftp"))


def test_a_server_that_does_not_answer_in_time(lesson_server):
    started = time.monotonic()
    error = fetch_error(lesson_server + "/slow.toml", timeout=0.5)
    assert "within 0.5 s" in str(error) and time.monotonic() - started < 2.5


def test_an_unreachable_server_is_said_so():
    import socket
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert "could not be reached" in str(fetch_error(f"http://127.0.0.1:{port}/mine.toml", timeout=2))


def test_a_file_that_is_not_utf8_or_is_a_web_page(lesson_server):
    assert "not UTF-8 text (byte 12)" in str(fetch_error(lesson_server + "/latin1.toml"))
    assert "web page (HTML)" in str(fetch_error(lesson_server + "/page.html"))


def test_what_counts_as_a_url_in_a_lesson_link():
    assert all(remote.looks_like_url(v) for v in ("https://x.org/a.toml", "HTTP://x", "file:///etc", "ftp://x"))
    assert not any(remote.looks_like_url(v) for v in ("sgd_slow", "momentum", "", "no_such<b>"))
