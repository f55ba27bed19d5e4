"""HTTP Range requests for files served from local storage, so a <video> can seek.

One byte range per request (what browsers send for media); anything else gets the whole
file. S3 never comes here: it serves presigned URLs, which answer ranges themselves.
"""

from __future__ import annotations

import re

from django.http import HttpResponse, StreamingHttpResponse

_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$")
CHUNK = 64 * 1024


def parse_range(header: str, size: int) -> tuple[int, int] | None | str:
    """(start, end) inclusive for a single-range header; None to ignore it; "unsatisfiable"."""
    match = _RANGE.match(header or "")
    if not match:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # the last N bytes
        length = int(last)
        if length == 0:
            return "unsatisfiable"
        return max(0, size - length), size - 1
    start = int(first)
    if start >= size:
        return "unsatisfiable"
    end = int(last) if last else size - 1
    if end < start:
        return None
    return start, min(end, size - 1)


def _stream(fh, start: int, length: int):
    try:
        fh.seek(start)
        left = length
        while left > 0:
            chunk = fh.read(min(CHUNK, left))
            if not chunk:
                break
            left -= len(chunk)
            yield chunk
    finally:
        fh.close()


def ranged_response(request, field, *, content_type: str) -> HttpResponse | None:
    """A 206 (or 416) for a Range request on ``field``'s file; None when there is none."""
    header = request.headers.get("Range")
    if not header or request.method not in ("GET", "HEAD"):
        return None
    size = field.size
    wanted = parse_range(header, size)
    if wanted is None:
        return None
    if wanted == "unsatisfiable":
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        response["Accept-Ranges"] = "bytes"
        return response
    start, end = wanted
    length = end - start + 1
    response = StreamingHttpResponse(
        _stream(field.open("rb"), start, length), status=206, content_type=content_type
    )
    response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    return response
