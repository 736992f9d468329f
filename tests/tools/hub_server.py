# A local stand-in for the Hugging Face hub's file URLs (127.0.0.1 only), with faults to inject, for fetch-model tests.
"""GET /ORG/REPO/resolve/REV/NAME serves repos[ORG/REPO][NAME] (bytes).

Like the hub, a large ("LFS") file answers with a 302 redirect to /cdn/SHA256 that carries X-Linked-Size and
X-Linked-Etag; small files are served directly. Range requests ("bytes=N-") are answered with 206.
Faults, set per file name on the server object:
  cut_after[name] = k    the next transfer of name sends k bytes of the body, then closes the connection
  ignore_range = True    Range headers are ignored (200 with the whole file)
  linked_etag[name] = h  the X-Linked-Etag to send instead of the true sha256
Every request is recorded in server.requests as (path, Range header or None).
"""
import hashlib
import http.server
import re
import threading

LFS_MIN = 1 << 16


class HubServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, repos):
        super().__init__(("127.0.0.1", 0), Handler)
        self.repos = repos
        self.cut_after = {}
        self.ignore_range = False
        self.linked_etag = {}
        self.requests = []
        self.lock = threading.Lock()
        self.by_sha = {}
        for files in repos.values():
            for data in files.values():
                self.by_sha[hashlib.sha256(data).hexdigest()] = data

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self):
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        srv = self.server
        with srv.lock:
            srv.requests.append((self.path, self.headers.get("Range")))
        m = re.match(r"^/(.+)/resolve/([^/]+)/([^/]+)$", self.path)
        if m:
            repo, _rev, name = m.groups()
            data = srv.repos.get(repo, {}).get(name)
            if data is None:
                return self.send_error(404, "Entry not found")
            sha = hashlib.sha256(data).hexdigest()
            if len(data) >= LFS_MIN:
                self.send_response(302)
                self.send_header("Location", f"/cdn/{sha}?name={name}")
                self.send_header("X-Linked-Size", str(len(data)))
                self.send_header("X-Linked-Etag", f'"{srv.linked_etag.get(name, sha)}"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            return self.send_body(data, name)
        m = re.match(r"^/cdn/([0-9a-f]{64})\?name=(.+)$", self.path)
        if m and m.group(1) in srv.by_sha:
            return self.send_body(srv.by_sha[m.group(1)], m.group(2))
        self.send_error(404, "Not found")

    def send_body(self, data, name):
        srv = self.server
        start = 0
        rng = self.headers.get("Range")
        if rng and not srv.ignore_range:
            m = re.match(r"^bytes=(\d+)-$", rng)
            start = int(m.group(1)) if m else 0
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with srv.lock:
            cut = srv.cut_after.pop(name, None)
        if cut is not None:
            self.wfile.write(body[:cut])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self.wfile.write(body)
