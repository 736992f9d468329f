# Resumable HTTP download of one file with a progress bar, size and sha256 verification (standard library only).
import hashlib
import http.client
import os
import re
import sys
import time
import urllib.error
import urllib.request

CHUNK = 1 << 20
HEX64 = re.compile(r"^[0-9a-f]{64}$")


class DownloadError(Exception):
    """A transfer that could not be completed (after retries); the partial file is kept for the next run."""


class VerifyError(Exception):
    """A complete file whose size or sha256 is not the expected one; the file has been deleted."""


class NotFound(Exception):
    """HTTP 404: the file does not exist at that URL."""


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def cached_sha256(dest):
    """sha256 of a finished download, as recorded beside it (None if the file or the record is missing)."""
    try:
        with open(dest + ".sha256") as f:
            recorded = f.read().strip()
    except OSError:
        return None
    return recorded if os.path.exists(dest) and sha256_file(dest) == recorded else None


def fmt_bytes(n):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024


class Progress:
    """One line on stderr, redrawn in place on a terminal; on a pipe, a line every 10%."""

    def __init__(self, label, total, start, stream=None):
        self.label, self.total, self.start = label, total, start
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.t0 = time.time()
        self.last_draw = 0.0
        self.last_decile = -1
        self.printed_final_decile = False

    def update(self, done, final=False):
        now = time.time()
        rate = (done - self.start) / max(now - self.t0, 1e-6)
        if self.total:
            pct = 100.0 * done / self.total
            eta = (self.total - done) / rate if rate > 0 else float("inf")
            eta_s = f"ETA {int(eta) // 60}:{int(eta) % 60:02d}" if eta != float("inf") else "ETA ?"
            bar = "#" * int(pct / 5) + "." * (20 - int(pct / 5))
            line = f"  {self.label} [{bar}] {pct:5.1f}%  {fmt_bytes(done)} / {fmt_bytes(self.total)}  " \
                   f"{fmt_bytes(rate)}/s  {eta_s}"
            decile = int(pct // 10)
        else:
            line = f"  {self.label} {fmt_bytes(done)}  {fmt_bytes(rate)}/s"
            decile = int(done // (10 * CHUNK))
        if self.tty:
            if final or now - self.last_draw > 0.1:
                self.stream.write("\r" + line + ("\n" if final else ""))
                self.stream.flush()
                self.last_draw = now
        elif decile != self.last_decile or (final and not self.printed_final_decile):
            self.stream.write(line + "\n")
            self.stream.flush()
            self.last_decile = decile
        self.printed_final_decile = decile == self.last_decile


class _KeepLinkedHeaders(urllib.request.HTTPRedirectHandler):
    """The hub puts X-Linked-Size / X-Linked-Etag on the redirect to its CDN, not on the file: keep them."""

    def __init__(self, seen):
        self.seen = seen

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        for k in ("X-Linked-Size", "X-Linked-Etag"):
            if headers.get(k):
                self.seen[k] = headers.get(k)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _expected_from_headers(headers, seen):
    """The hub's own size and sha256 of an LFS file (X-Linked-Size, X-Linked-Etag), where it sends them."""
    size = headers.get("X-Linked-Size") or seen.get("X-Linked-Size")
    etag = (headers.get("X-Linked-Etag") or seen.get("X-Linked-Etag") or "").strip('"').lower()
    return (int(size) if size and size.isdigit() else None), (etag if HEX64.match(etag) else None)


def fetch(url, dest, size=None, sha256=None, retries=5, backoff=1.0, timeout=60, label=None, log=print,
          headers=None):
    """Download url to dest via dest + '.part', resuming a partial file with a Range request.

    size / sha256: the expected values (None: take the hub's headers, if any). Returns a dict with the final size,
    sha256, where the expectation came from and the number of retried transfers ("resumed").
    """
    part = dest + ".part"
    label = label or os.path.basename(dest)
    hub_size = hub_sha = None
    attempt = 0
    seen = {}
    opener = urllib.request.build_opener(_KeepLinkedHeaders(seen))
    while True:
        have = os.path.getsize(part) if os.path.exists(part) else 0
        req = urllib.request.Request(url, headers=dict(headers or {}))
        if have:
            req.add_header("Range", f"bytes={have}-")
        try:
            with opener.open(req, timeout=timeout) as resp:
                hs, hh = _expected_from_headers(resp.headers, seen)
                hub_size, hub_sha = hs or hub_size, hh or hub_sha
                status = resp.status
                if have and status == 206:
                    m = re.match(r"bytes (\d+)-\d+/(\d+|\*)", resp.headers.get("Content-Range", ""))
                    if not m or int(m.group(1)) != have:
                        raise DownloadError(f"{url}: the server answered the range request for byte {have} with "
                                            f"Content-Range {resp.headers.get('Content-Range')!r}")
                    total = int(m.group(2)) if m.group(2) != "*" else None
                    mode = "ab"
                else:  # 200: the whole file (the server ignored the range, or there was nothing to resume)
                    if have:
                        log(f"  {label}: the server does not resume transfers; starting again from 0")
                    have, mode = 0, "wb"
                    length = resp.headers.get("Content-Length")
                    total = int(length) if length and length.isdigit() else None
                total = total or size or hub_size
                bar = Progress(label, total, have)
                done = have
                with open(part, mode) as f:
                    while True:
                        block = resp.read(CHUNK)
                        if not block:
                            break
                        f.write(block)
                        done += len(block)
                        bar.update(done)
                bar.update(done, final=True)
                if total is not None and done < total:
                    raise ConnectionError(f"connection closed at {done:,} of {total:,} bytes")
            break
        except urllib.error.HTTPError as e:
            if e.code == 416 and have:  # nothing left to send: the partial file may already be complete
                break
            if e.code == 404:
                raise NotFound(f"{url}: 404 Not Found") from None
            if e.code < 500 or attempt >= retries:
                raise DownloadError(f"{url}: HTTP {e.code} {e.reason}") from None
            why = f"HTTP {e.code}"
        except (OSError, http.client.HTTPException) as e:  # URLError, ConnectionError, timeouts, IncompleteRead
            why = str(getattr(e, "reason", e)) or type(e).__name__
            if attempt >= retries:
                have = os.path.getsize(part) if os.path.exists(part) else 0
                if not have:
                    raise DownloadError(f"{url}: {why} (after {retries} retries): is the network up? A mirror can "
                                        f"be given with --endpoint or HF_ENDPOINT") from None
                raise DownloadError(f"{url}: transfer failed after {retries} retries ({why}); {have:,} bytes are "
                                    f"kept in {part} and the next run resumes from there") from None
        attempt += 1
        have = os.path.getsize(part) if os.path.exists(part) else 0
        if have:
            log(f"  {label}: interrupted at {have:,} bytes ({why}); resuming (retry {attempt}/{retries})")
        else:
            log(f"  {label}: {why}; retrying ({attempt}/{retries})")
        time.sleep(backoff * attempt)

    got_size = os.path.getsize(part)
    want_size, size_from = (size, "catalog") if size is not None else (hub_size, "hub header")
    want_sha, sha_from = (sha256, "catalog") if sha256 is not None else (hub_sha, "hub header")
    if want_size is not None and got_size != want_size:
        os.remove(part)
        raise VerifyError(f"{label}: {got_size:,} bytes, expected {want_size:,} ({size_from}); the file was deleted. "
                          f"Run again to download it afresh; if this repeats, the mirror or the catalog is wrong.")
    got_sha = sha256_file(part)
    if want_sha is not None and got_sha != want_sha:
        os.remove(part)
        raise VerifyError(f"{label}: sha256 {got_sha}, expected {want_sha} ({sha_from}); the file was deleted. "
                          f"Run again to download it afresh; if this repeats, the mirror or the catalog is wrong.")
    os.replace(part, dest)
    with open(dest + ".sha256", "w") as f:  # lets a later run trust the cached file without the hub's headers
        f.write(got_sha + "\n")
    return {"size": got_size, "sha256": got_sha, "verified": sha_from if want_sha else None, "resumed": attempt}
