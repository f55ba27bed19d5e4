"""Refuse an oversized upload while it streams in, before it is stored anywhere.

``SizeLimitUploadHandler`` runs first among the upload handlers. It counts the bytes of
each file as they arrive and stops the upload (and the reading of the request body) as
soon as one passes ``UPLOAD_MAX_BYTES``; a request whose ``Content-Length`` already says
so is stopped at its first file, with no file byte read. Form fields before the file (the
CSRF token among them) are still parsed. The view learns why the file is missing from
``request.upload_refused`` and shows the limit. The proxy's body limit (see the README)
should refuse such bodies even earlier.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.template.defaultfilters import filesizeformat

# Room for the other form fields and the multipart boundaries around the file.
MULTIPART_OVERHEAD = 64 * 1024


def refused_message(request) -> str:
    """The user's message for an upload the handler stopped, or ``""``."""
    if not getattr(request, "upload_refused", False):
        return ""
    limit = filesizeformat(settings.UPLOAD_MAX_BYTES)
    return f"The file is too large: the limit is {limit}. Nothing was uploaded."


class SizeLimitUploadHandler(FileUploadHandler):
    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.limit = settings.UPLOAD_MAX_BYTES
        self.declared_too_large = bool(content_length) and (
            content_length > self.limit + MULTIPART_OVERHEAD
        )
        return None  # let the parser run: fields before the file still arrive

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0
        if self.declared_too_large:
            self._refuse()

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            self._refuse()
        return raw_data  # the next handler stores it

    def file_complete(self, file_size):
        return None  # the storing handler returns the file

    def _refuse(self):
        if self.request is not None:
            self.request.upload_refused = True
        raise StopUpload(connection_reset=True)
