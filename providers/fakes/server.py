"""The machinery shared by the fake provider servers.

Each fake is a standard-library ``ThreadingHTTPServer`` on 127.0.0.1 with a random port,
served from a daemon thread. It records every request (method, path, query, headers and the
parsed body: JSON, or multipart fields and files) and lets tests inject failures that the
vendor's handler turns into that vendor's exact error shape.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class UploadedFile:
    filename: str
    content_type: str
    data: bytes


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names
    body: bytes
    json: Any = None
    form: dict[str, str] = field(default_factory=dict)
    files: dict[str, list[UploadedFile]] = field(default_factory=dict)

    def file(self, name: str) -> UploadedFile | None:
        items = self.files.get(name)
        return items[0] if items else None

    @property
    def part_names(self) -> list[str]:
        return sorted(set(self.form) | set(self.files))


@dataclass
class Reply:
    status: int = 200
    body: bytes | dict[str, Any] | list[Any] | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering

    def encoded(self) -> tuple[bytes, dict[str, str]]:
        headers = dict(self.headers)
        body = self.body
        if isinstance(body, (dict, list)):
            headers.setdefault("Content-Type", "application/json")
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            headers.setdefault("Content-Type", "text/plain; charset=utf-8")
            body = body.encode()
        return body, headers


@dataclass
class Injection:
    kind: str
    times: int
    path: str  # substring the request path must contain ("" = any)
    options: dict[str, Any]


def parse_multipart(
    body: bytes, content_type: str
) -> tuple[dict[str, str], dict[str, list[UploadedFile]]]:
    """Split a multipart/form-data body into text fields and files."""
    boundary = ""
    for piece in content_type.split(";")[1:]:
        key, _, value = piece.strip().partition("=")
        if key.lower() == "boundary":
            boundary = value.strip('"')
    if not boundary:
        raise ValueError("multipart body without boundary")
    form: dict[str, str] = {}
    files: dict[str, list[UploadedFile]] = {}
    delimiter = b"--" + boundary.encode()
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = chunk[2:] if chunk.startswith(b"\r\n") else chunk
        head, _, data = chunk.partition(b"\r\n\r\n")
        if data.endswith(b"\r\n"):
            data = data[:-2]
        headers: dict[str, str] = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        disposition: dict[str, str] = {}
        for piece in headers.get("content-disposition", "").split(";")[1:]:
            key, _, value = piece.strip().partition("=")
            disposition[key.lower()] = value.strip('"')
        name = disposition.get("name", "")
        if "filename" in disposition:
            files.setdefault(name, []).append(
                UploadedFile(
                    filename=disposition["filename"],
                    content_type=headers.get("content-type", "application/octet-stream"),
                    data=data,
                )
            )
        else:
            form[name] = data.decode("utf-8", "replace")
    return form, files


class FakeServer:
    """Base class: subclasses implement :meth:`handle` and :meth:`error_reply`."""

    name = "fake"
    path_prefix = ""  # appended to the host URL to form ``base_url``
    env_key = ""
    env_base = ""
    default_key = "test-key"

    def __init__(self, api_key: str | None = None) -> None:
        self.api_key = api_key or self.default_key
        self.requests: list[RecordedRequest] = []
        self.files: dict[str, tuple[bytes, str]] = {}
        self._lock = threading.Lock()
        self._injections: list[Injection] = []
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.reset()

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> FakeServer:
        handler = _make_handler(self)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        httpd = self._httpd
        self._thread = threading.Thread(
            target=lambda: httpd.serve_forever(poll_interval=0.05),
            name=f"fake-{self.name}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the fake server is not running")
        return self._httpd.server_address[1]

    @property
    def host_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return self.host_url + self.path_prefix

    def env(self) -> dict[str, str]:
        """Environment variables that point the app at this fake."""
        return {self.env_base: self.base_url, self.env_key: self.api_key}

    # ------------------------------------------------------------------ switches

    def reset(self) -> None:
        """Forget recorded requests and injected failures; restore default behaviour."""
        with self._lock:
            self.requests.clear()
            self._injections.clear()

    def inject(self, kind: str, *, times: int = 1, path: str = "", **options: Any) -> None:
        """Make the next ``times`` matching requests fail as ``kind`` (vendor-specific)."""
        if kind not in self.error_kinds():
            raise ValueError(
                f"{self.name} fake cannot inject {kind!r}; try {sorted(self.error_kinds())}"
            )
        with self._lock:
            self._injections.append(Injection(kind=kind, times=times, path=path, options=options))

    def error_kinds(self) -> set[str]:
        return set()

    def take_injection(self, request: RecordedRequest) -> Injection | None:
        with self._lock:
            for injection in self._injections:
                if injection.path in request.path:
                    injection.times -= 1
                    if injection.times <= 0:
                        self._injections.remove(injection)
                    return injection
        return None

    def requests_to(self, path_part: str, method: str | None = None) -> list[RecordedRequest]:
        with self._lock:
            return [
                r
                for r in self.requests
                if path_part in r.path and (method is None or r.method == method)
            ]

    # ------------------------------------------------------------------ files

    def add_file(self, data: bytes, content_type: str, extension: str) -> str:
        """Serve ``data`` at an unauthenticated URL and return that URL."""
        name = f"{uuid.uuid4().hex}.{extension}"
        with self._lock:
            self.files[name] = (data, content_type)
        return f"{self.host_url}/files/{name}"

    # ------------------------------------------------------------------ dispatch

    def dispatch(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self.requests.append(request)
        if request.method == "GET" and request.path.startswith("/files/"):
            with self._lock:
                item = self.files.get(request.path.removeprefix("/files/"))
            if item is None:
                return Reply(404, "not found")
            return Reply(200, item[0], {"Content-Type": item[1]})
        try:
            return self.handle(request)
        except Exception as exc:  # a broken fake must say so loudly, not hang the client
            return Reply(500, {"fake_error": f"{type(exc).__name__}: {exc}"})

    def handle(self, request: RecordedRequest) -> Reply:
        raise NotImplementedError


def _make_handler(server: FakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = 30

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            headers = {k.lower(): v for k, v in self.headers.items()}
            request = RecordedRequest(
                method=self.command,
                path=parts.path,
                query={k: v[-1] for k, v in parse_qs(parts.query).items()},
                headers=headers,
                body=body,
            )
            ctype = headers.get("content-type", "")
            try:
                if ctype.startswith("application/json") and body:
                    request.json = json.loads(body)
                elif ctype.startswith("multipart/form-data"):
                    request.form, request.files = parse_multipart(body, ctype)
            except ValueError:
                request.json = None
            reply = server.dispatch(request)
            if reply.delay:
                threading.Event().wait(reply.delay)
            data, out_headers = reply.encoded()
            self.send_response(reply.status)
            for name, value in out_headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return

    return Handler


Handler = Callable[[RecordedRequest], Reply]
