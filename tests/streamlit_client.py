"""A simulated student at the websocket level (not a test module): the load benchmark and the serving test.

Streamlit's browser client talks to the server over one websocket (``/_stcore/stream``) in protobuf messages: it
sends a ``BackMsg`` asking for a run (the URL's query string and the widgets' values) and receives ``ForwardMsg``s
(the page's elements, then ``script_finished``).  ``Student`` does the same without a browser, so a benchmark can
put 60 of them on one machine: ``open()`` loads the page, ``change(key, pick)`` moves one widget as a student does
and waits for the rerun it causes; ``move_run_slider(run, name, step)`` moves a slider of a run's row (the rows are
one components-v2 component, ``ui/run_rows.py``) as its JavaScript does.  What a browser does besides (drawing, the components' own messages) is not
simulated, so the figures are the server's side of a rerun.
"""

from __future__ import annotations

import asyncio
import http.cookiejar
import json
import time
import urllib.request
from dataclasses import dataclass, field

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.components.v2.bidi_component.main import _make_trigger_id
from websockets.asyncio.client import connect

ROWS_KEY = "run_rows"  # ui/run_rows.KEY
FINISHED = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY}


@dataclass
class Widget:
    """A widget the page drew: its Streamlit id, its element (a protobuf) and the fragment it belongs to."""

    id: str
    kind: str
    element: object
    fragment_id: str


@dataclass
class Run:
    """One rerun as the student saw it: seconds from the request to ``script_finished``, and what went wrong."""

    seconds: float
    status: int
    exceptions: list = field(default_factory=list)


class Student:
    """One browser session: ``await Student(url).open()``, then ``await change(...)``; ``await close()``."""

    def __init__(self, url: str, query: str = "", *, timeout: float = 120.0):
        self.url = url.rstrip("/") + "/"
        self.query = query
        self.timeout = timeout
        self.widgets: dict[str, Widget] = {}
        self.cookie = ""
        self._socket = None

    async def open(self) -> Run:
        """Load the page as a browser does: GET it (a load balancer's affinity cookie comes with it), open the
        websocket with that cookie, ask for the first run."""
        self.cookie = page_cookie(self.url + (f"?{self.query}" if self.query else ""))
        address = "ws" + self.url[len("http"):] + "_stcore/stream"
        headers = {"Cookie": self.cookie} if self.cookie else {}
        self._socket = await connect(address, subprotocols=["streamlit"], additional_headers=headers, max_size=None,
                                     open_timeout=self.timeout)
        return await self._run(BackMsg())

    async def change(self, key: str, pick) -> Run:
        """Give the widget whose key is ``key`` a new value (``pick(widget)`` returns it, as the widget's state
        proto field name and value) and wait for the rerun: of its fragment only, when it is in one."""
        widget = self.widget(key)
        message = BackMsg()
        state = message.rerun_script.widget_states.widgets.add()
        state.id = widget.id
        field_name, value = pick(widget)
        target = getattr(state, field_name)
        if hasattr(target, "data"):
            target.data.extend(value)
        else:
            setattr(state, field_name, value)
        if widget.fragment_id:
            message.rerun_script.fragment_id = widget.fragment_id
        return await self._run(message)

    async def move_run_slider(self, run_index: int, name: str, step: int) -> Run:
        """Move the slider ``name`` ("lr", "mu", …) of the run in row ``run_index`` ``step`` places along its grid
        (wrapping) and wait for the rerun: the edit the rows' JavaScript sends (ui/run_rows_web/run_rows.js)."""
        rows = self.widget(ROWS_KEY)
        data = json.loads(rows.element.bytes)  # ui/widgets.packed
        row = data["rows"][run_index]
        control = next(c for c in (row["lr"], row["main"], *row["more"]) if c and c["name"] == name)
        values = data["grids"][control["grid"]]["values"]
        value = values[(values.index(control["value"]) + step) % len(values)]
        edit = {"seq": data["applied"] + 1, "run": row["id"], "name": name, "value": value}
        message = BackMsg()
        state = message.rerun_script.widget_states.widgets.add()
        state.id = _make_trigger_id(rows.id, "events")
        state.json_trigger_value = json.dumps([{"event": "edit", "value": {"edits": [edit]}}])
        if rows.fragment_id:
            message.rerun_script.fragment_id = rows.fragment_id
        return await self._run(message)

    def widget(self, key: str) -> Widget:
        """The widget drawn with ``key`` (Streamlit's ids end with the user's key)."""
        found = [widget for widget_id, widget in self.widgets.items() if widget_id.endswith("-" + key)]
        if len(found) != 1:
            raise KeyError(f"{len(found)} widgets with key {key!r}")
        return found[0]

    async def close(self) -> None:
        if self._socket is not None:
            await self._socket.close()

    async def _run(self, message: BackMsg) -> Run:
        message.rerun_script.query_string = self.query
        started = time.perf_counter()
        await self._socket.send(message.SerializeToString())
        exceptions = []
        deadline = time.monotonic() + self.timeout
        while True:
            raw = await _recv(self._socket, deadline)
            reply = ForwardMsg()
            reply.ParseFromString(raw)
            kind = reply.WhichOneof("type")
            if kind == "delta":
                self._note(reply.delta, exceptions)
            elif kind == "script_finished" and reply.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                # (a run stopped early for a rerun, e.g. a fragment's that needs the whole page: the answer is
                # the run that follows)
                return Run(time.perf_counter() - started, reply.script_finished, exceptions)

    def _note(self, delta, exceptions: list) -> None:
        if delta.WhichOneof("type") != "new_element":
            return
        element = delta.new_element
        kind = element.WhichOneof("type")
        if kind == "exception":
            exceptions.append(element.exception.message)
            return
        proto = getattr(element, kind, None)
        widget_id = getattr(proto, "id", "") if proto is not None else ""
        if isinstance(widget_id, str) and widget_id.startswith("$$ID"):
            self.widgets[widget_id] = Widget(widget_id, kind, proto, delta.fragment_id)


async def _recv(socket, deadline: float) -> bytes:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeoutError("no script_finished before the timeout")
    return await asyncio.wait_for(socket.recv(), remaining)


def page_cookie(url: str) -> str:
    """The cookies the page's first response sets (the load balancer's route, Streamlit's XSRF), as a header."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(url, timeout=30) as response:
        response.read()
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)


def next_option(widget: Widget, step: int = 1) -> tuple:
    """A select slider's option ``step`` places from its current one (wrapping): the state field and its value."""
    options = list(widget.element.options)
    current = list(widget.element.value) or list(widget.element.default)  # indices into the options
    index = int(current[0]) if current else 0
    return "string_array_value", [options[(index + step) % len(options)]]
