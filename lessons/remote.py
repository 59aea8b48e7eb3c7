"""A lesson file from the web: ``fetch(url) -> text``, without Streamlit (the page caches it, see
``ui/lesson_panel.py``; the text then goes through ``lessons.load`` like an uploaded file).

Only ``http`` and ``https``: a redirect to any other scheme (``file:``, ``ftp:``, ``data:``) is refused, and no
other handler is installed.  Everything is bounded: the address (MAX_URL characters), the time (``timeout``
seconds for each network wait and, in all, for the whole transfer), the size (``max_bytes``, the loader's own
bound ``MAX_FILE_BYTES``: a larger file is refused without being read to its end).  The text is UTF-8 (a
byte-order mark is dropped).  Every failure is a ``FetchError``: a short English sentence saying what was wrong,
with its Chinese in ``zh`` (``viz.i18n.render`` shows it in the page's language).

The server fetches what a link names, so anyone with the page can make it fetch a URL; it only ever shows what
``lessons.load`` makes of the text (the lesson, or the problems it finds), never the raw answer.
"""

from __future__ import annotations

import http.client
import socket
import time
import urllib.error
import urllib.parse
import urllib.request

from .loader import MAX_FILE_BYTES

SCHEMES = ("http", "https")
MAX_URL = 2000  # characters of an address
TIMEOUT = 5.0  # seconds
CHUNK = 16_384
USER_AGENT = "optimizer-paths/1 (a classroom page fetching a lesson file)"


class FetchError(ValueError):
    """A lesson file that could not be fetched: ``str(error)`` says why in English, ``error.zh`` in Chinese."""

    def __init__(self, english: str, zh: str):
        super().__init__(english)
        self.zh = zh

    def __reduce__(self):
        return FetchError, (str(self), self.zh)


def looks_like_url(value: str) -> bool:
    """Whether a ``?lesson=`` value is meant as an address (has a scheme, ``https://…``, ``file:/…``) rather than
    a built-in lesson's id."""
    return isinstance(value, str) and ":" in value and urllib.parse.urlsplit(value.strip()).scheme != ""


def check_url(url) -> str:
    """``url`` stripped, when it is an http(s) address with a host; otherwise a FetchError saying why."""
    if not isinstance(url, str) or not url.strip():
        raise FetchError("no address given: paste the https://… address of a .toml lesson file.",
                         "没有给出地址：请粘贴 .toml 课程文件的 https://… 地址。")
    url = url.strip()
    if len(url) > MAX_URL:
        raise FetchError(f"the address has {len(url):,} characters; at most {MAX_URL:,}.",
                         f"地址有 {len(url):,} 个字符；最多 {MAX_URL:,} 个。")
    if any(ord(char) < 33 or ord(char) == 127 for char in url):
        raise FetchError("the address has spaces or control characters in it.", "地址中含有空格或控制字符。")
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018  a port that is no number raises here
    except ValueError as error:
        raise FetchError(f"not a valid address ({error}).", f"不是有效的地址（{error}）。") from None
    scheme = parts.scheme.lower()
    if not scheme:
        raise FetchError("the address does not start with https:// (or http://).",
                         "地址不是以 https://（或 http://）开头。")
    if scheme not in SCHEMES:
        raise FetchError(f"only http:// and https:// addresses are fetched, not {scheme}:.",
                         f"只能获取 http:// 和 https:// 地址，不能获取 {scheme}: 地址。")
    if not parts.hostname:
        raise FetchError("the address names no server (https://server/path/lesson.toml).",
                         "地址中没有服务器名（https://服务器/路径/lesson.toml）。")
    return url


class _HttpRedirectsOnly(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only to another http(s) address (urllib's own also follows ftp:), at most 5."""

    max_redirections = 5

    def http_error_302(self, req, fp, code, msg, headers):
        target = headers.get("Location") or headers.get("URI")
        if target:
            scheme = urllib.parse.urlsplit(urllib.parse.urljoin(req.full_url, target)).scheme.lower()
            if scheme not in SCHEMES:
                fp.close()
                raise FetchError(f"the server redirected to a {scheme}: address; only http:// and https:// are "
                                 f"followed.", f"服务器重定向到了 {scheme}: 地址；只跟随 http:// 和 https:// 地址。")
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


def _opener() -> urllib.request.OpenerDirector:
    """http and https only (no file:, ftp: or data: handler), the environment's proxies, our redirects."""
    opener = urllib.request.OpenerDirector()
    for handler in (urllib.request.ProxyHandler(), urllib.request.UnknownHandler(), urllib.request.HTTPHandler(),
                    urllib.request.HTTPSHandler(), urllib.request.HTTPDefaultErrorHandler(), _HttpRedirectsOnly(),
                    urllib.request.HTTPErrorProcessor()):
        opener.add_handler(handler)
    return opener


def fetch(url, *, timeout: float = TIMEOUT, max_bytes: int = MAX_FILE_BYTES) -> str:
    """The text of the lesson file at ``url`` (http or https), read within ``timeout`` seconds and at most
    ``max_bytes`` bytes; a FetchError saying what was wrong otherwise.  Never raises anything else."""
    url = check_url(url)
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "text/plain, */*"})
    deadline = time.monotonic() + timeout
    try:
        with _opener().open(request, timeout=timeout) as response:
            if urllib.parse.urlsplit(response.geturl()).scheme.lower() not in SCHEMES:  # belt and braces
                raise FetchError("the server sent the file from another scheme; only http(s) is read.",
                                 "服务器从其他协议发送了文件；只读取 http(s)。")
            _check_length(response.headers.get("Content-Length"), max_bytes)
            body = _read(response, max_bytes, deadline, timeout)
            content_type = response.headers.get_content_type()
    except FetchError:
        raise
    except urllib.error.HTTPError as error:
        error.close()
        reason = str(error.reason or "").strip()[:80]
        raise FetchError(f"the server answered HTTP {error.code}{' ' + reason if reason else ''}: no lesson file "
                         f"there.", f"服务器回应 HTTP {error.code}{' ' + reason if reason else ''}：那里没有课程文件。"
                         ) from None
    except urllib.error.URLError as error:
        if isinstance(error.reason, (TimeoutError, socket.timeout)):
            raise _timed_out(timeout) from None
        reason = str(getattr(error.reason, "strerror", None) or error.reason)[:120]
        raise FetchError(f"the server could not be reached ({reason}).", f"无法连接到服务器（{reason}）。") from None
    except (TimeoutError, socket.timeout):
        raise _timed_out(timeout) from None
    except (OSError, ValueError, http.client.HTTPException) as error:
        detail = str(error)[:120] or type(error).__name__
        raise FetchError(f"the file could not be fetched ({detail}).", f"无法获取该文件（{detail}）。") from None
    return _decoded(body, content_type)


def _timed_out(timeout: float) -> FetchError:
    return FetchError(f"the server did not send the file within {timeout:g} s.",
                      f"服务器在 {timeout:g} 秒内没有发来文件。")


def _too_large(max_bytes: int) -> FetchError:
    return FetchError(f"the file is larger than {max_bytes:,} bytes, the most a lesson file may have.",
                      f"文件超过 {max_bytes:,} 字节，这是课程文件的上限。")


def _check_length(value, max_bytes: int) -> None:
    """A declared Content-Length above the bound is refused before anything is read."""
    try:
        length = int(value) if value is not None else None
    except ValueError:
        length = None
    if length is not None and length > max_bytes:
        raise _too_large(max_bytes)


def _read(response, max_bytes: int, deadline: float, timeout: float) -> bytes:
    """At most ``max_bytes`` bytes of the body (one more is a FetchError), within the deadline."""
    chunks, size = [], 0
    while True:
        chunk = response.read(min(CHUNK, max_bytes + 1 - size))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
        if size > max_bytes:
            raise _too_large(max_bytes)
        if time.monotonic() > deadline:  # a server that trickles the file never ends the page's run
            raise _timed_out(timeout)


def _decoded(body: bytes, content_type: str) -> str:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FetchError(f"the file is not UTF-8 text (byte {error.start}).",
                         f"该文件不是 UTF-8 文本（第 {error.start} 个字节）。") from None
    if content_type == "text/html" and text.lstrip()[:1] == "<":
        raise FetchError("the address gives a web page (HTML), not a lesson file: link the raw .toml file "
                         "(on GitHub, its “Raw” button).",
                         "该地址给出的是网页（HTML），不是课程文件：请链接 .toml 原始文件（在 GitHub 上点“Raw”按钮）。")
    return text
