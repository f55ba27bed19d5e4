"""Fetch product images from URLs, safely and concurrently (httpx, asyncio).

Each URL is refused unless it is http(s) and every address its host resolves to is a
public one (no private, loopback, link-local — the cloud metadata address lives there —,
multicast or reserved ranges). The connection then goes to the address that was checked,
not to a second lookup (a DNS answer can't change between check and connect), with the
host name kept for the Host header and TLS. Redirects are followed by hand, at most
``MAX_REDIRECTS``, each checked the same way. The body is read in chunks and abandoned
past the size cap; the bytes must be an image by their signature, whatever the server
says the type is. Every failure is a ``FetchError`` with a message for the row.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx
from django.conf import settings

MAX_REDIRECTS = 3
USER_AGENT = "ImageStudio-Batch/1.0 (+image fetch)"


class FetchError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Fetched:
    url: str
    data: bytes
    content_type: str
    filename: str


SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"BM", "image/bmp"),
)


def sniff(head: bytes) -> str:
    """The image type the first bytes show, or "" when they are not an image we read."""
    for magic, kind in SIGNATURES:
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return ""


def _blocked(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback and settings.BATCH_FETCH_ALLOW_LOOPBACK:
        return False
    return not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_unspecified


async def resolve_public(host: str, port: int) -> str:
    """One address of ``host`` to connect to, after checking every address it has."""
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
        addresses = [str(literal)]
    except ValueError:
        loop = asyncio.get_running_loop()
        try:
            infos = await asyncio.wait_for(
                loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout=5
            )
        except (TimeoutError, OSError):
            raise FetchError(f"The host “{host}” could not be found.") from None
        addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise FetchError(f"The host “{host}” could not be found.")
    for address in addresses:
        if _blocked(ipaddress.ip_address(address.split("%", 1)[0])):
            raise FetchError(
                "This URL points at a private or internal address; only public web "
                "addresses can be fetched."
            )
    return addresses[0]


def _check_scheme(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise FetchError("Only http:// and https:// addresses can be fetched.")
    if not parts.hostname:
        raise FetchError("The URL names no host.")
    port = parts.port or (443 if scheme == "https" else 80)
    return scheme, parts.hostname, port


def _pinned(url: str, address: str) -> str:
    """``url`` with its host replaced by ``address`` (the port and path kept)."""
    parts = urlsplit(url)
    host = f"[{address}]" if ":" in address else address
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))


async def fetch_image(client: httpx.AsyncClient, url: str) -> Fetched:
    """Download one image, or raise ``FetchError`` saying why not."""
    max_bytes = settings.BATCH_FETCH_MAX_BYTES
    current = url
    for _hop in range(MAX_REDIRECTS + 1):
        scheme, host, port = _check_scheme(current)
        address = await resolve_public(host, port)
        default_port = 443 if scheme == "https" else 80
        host_header = host if port == default_port else f"{host}:{port}"
        extensions = {"sni_hostname": host} if scheme == "https" else {}
        request = client.build_request(
            "GET",
            _pinned(current, address),
            headers={"Host": host_header, "User-Agent": USER_AGENT, "Accept": "image/*"},
            extensions=extensions,
        )
        try:
            response = await client.send(request, stream=True)
        except httpx.TimeoutException:
            raise FetchError("The image server did not answer in time.") from None
        except httpx.HTTPError as exc:
            raise FetchError(f"The image could not be downloaded ({type(exc).__name__}).") from None
        try:
            if response.status_code in (301, 302, 303, 307, 308):
                location = response.headers.get("location")
                if not location:
                    raise FetchError("The server redirected without saying where to.")
                current = urljoin(current, location)
                continue
            if response.status_code != 200:
                raise FetchError(f"The image server answered HTTP {response.status_code}.")
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise FetchError(_too_big(max_bytes))
            chunks: list[bytes] = []
            size = 0
            try:
                async for chunk in response.aiter_bytes(64 * 1024):
                    size += len(chunk)
                    if size > max_bytes:
                        raise FetchError(_too_big(max_bytes))
                    if not chunks and chunk and size >= 16 and not sniff(chunk[:16]):
                        raise FetchError(_not_image(chunk))
                    chunks.append(chunk)
            except httpx.TimeoutException:
                raise FetchError("The image server stopped sending before the end.") from None
            except httpx.HTTPError as exc:
                raise FetchError(f"The download broke off ({type(exc).__name__}).") from None
            data = b"".join(chunks)
            kind = sniff(data[:16])
            if not kind:
                raise FetchError(_not_image(data))
            name = urlsplit(current).path.rsplit("/", 1)[-1] or "image"
            return Fetched(url=current, data=data, content_type=kind, filename=name[:200])
        finally:
            await response.aclose()
    raise FetchError(f"Too many redirects (more than {MAX_REDIRECTS}).")


def _too_big(max_bytes: int) -> str:
    return f"The image is larger than {max_bytes // (1024 * 1024)} MB."


def _not_image(head: bytes) -> str:
    text = head[:512].lstrip().lower()
    if text.startswith((b"<!doctype html", b"<html", b"<head", b"<body")) or b"<html" in text:
        return "The URL returned a web page, not an image."
    return "The URL did not return an image (JPEG, PNG, WebP, GIF, TIFF or BMP)."


def client() -> httpx.AsyncClient:
    timeout = settings.BATCH_FETCH_TIMEOUT
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout, connect=min(10, timeout)),
        follow_redirects=False,
        trust_env=False,
    )


async def _fetch_all(urls: list[str], concurrency: int) -> list[Fetched | FetchError]:
    gate = asyncio.Semaphore(max(1, concurrency))
    total = settings.BATCH_FETCH_TIMEOUT * 3

    async with client() as http:

        async def one(url: str) -> Fetched | FetchError:
            async with gate:
                try:
                    return await asyncio.wait_for(fetch_image(http, url), timeout=total)
                except FetchError as exc:
                    return exc
                except TimeoutError:
                    return FetchError("The download took too long and was stopped.")

        return await asyncio.gather(*(one(u) for u in urls))


def fetch_many(urls: list[str], *, concurrency: int | None = None) -> list[Fetched | FetchError]:
    """Fetch ``urls`` concurrently; one result (the image or its error) per URL, in order."""
    return asyncio.run(_fetch_all(urls, concurrency or settings.BATCH_FETCH_CONCURRENCY))
