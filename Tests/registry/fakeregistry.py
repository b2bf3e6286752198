#!/usr/bin/env python3
"""A registry that misbehaves on purpose, for husk pull's fault tests (python3 stdlib only).

  fakeregistry.py PORTFILE

Listens on 127.0.0.1 (a free port, written to PORTFILE) and serves one small image under
every repository; the repository name picks the behaviour:
  good        served correctly (Range requests answered with 206)
  chunked     blobs sent with Transfer-Encoding: chunked
  flaky       the layer's first download breaks off halfway; a Range retry gets the rest
              (a retry without Range gets a 500)
  truncated   the layer always breaks off halfway (Content-Length promises it all)
  baddigest   the layer's bytes are changed (same length), so its digest does not match
  missing     manifests answer 404 MANIFEST_UNKNOWN
  error       manifests answer 500
  hang        manifests never answer
  weirdtype   the manifest comes with an unknown media type
  redirect    needs Basic auth (user:secret); blobs redirect to http://localhost:PORT/external/…,
              which refuses any request that carries an Authorization header
"""
import base64, gzip, hashlib, http.server, io, json, os, sys, tarfile, threading, time

LAYER_DIFF = io.BytesIO()
with tarfile.open(fileobj=LAYER_DIFF, mode="w") as t:
    data = os.urandom(300_000)
    info = tarfile.TarInfo("etc/fake")
    info.size = len(data)
    t.addfile(info, io.BytesIO(data))
DIFF = LAYER_DIFF.getvalue()
LAYER = gzip.compress(DIFF, mtime=0)
CONFIG = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["true"]},
                     "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(DIFF).hexdigest()]}}).encode()


def digest(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


MANIFEST = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": digest(CONFIG), "size": len(CONFIG)},
                       "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": digest(LAYER), "size": len(LAYER)}]}).encode()
WEIRD = MANIFEST.replace(b"application/vnd.oci.image.manifest.v1+json", b"application/vnd.example.unknown+json")
BLOBS = {digest(LAYER): LAYER, digest(CONFIG): CONFIG}
GOOD_AUTH = "Basic " + base64.b64encode(b"user:secret").decode()
flaky_seen = set()
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, code, body=b"", ctype="application/json", headers=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def error(self, code, err, msg):
        self.send(code, json.dumps({"errors": [{"code": err, "message": msg}]}).encode())

    def do_GET(self):
        parts = self.path.split("/")
        if self.path == "/v2/":
            return self.send(200, b"{}")
        if len(parts) >= 3 and parts[1] == "external":
            if self.headers.get("Authorization"):
                return self.send(400, b"Authorization leaked to another host", "text/plain")
            return self.blob(parts[2], "good")
        if len(parts) < 5 or parts[1] != "v2":
            return self.error(404, "NAME_UNKNOWN", "no such path")
        repo, kind, ref = parts[2], parts[3], parts[4]
        if repo == "redirect" and self.headers.get("Authorization") != GOOD_AUTH:
            return self.send(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}',
                             headers=[("WWW-Authenticate", 'Basic realm="fake"')])
        if kind == "manifests":
            if repo == "missing":
                return self.error(404, "MANIFEST_UNKNOWN", "manifest unknown")
            if repo == "error":
                return self.send(500, b"internal trouble", "text/plain")
            if repo == "hang":
                time.sleep(60)
                return
            if repo == "weirdtype":
                return self.send(200, WEIRD, "application/vnd.example.unknown+json", [("Docker-Content-Digest", digest(WEIRD))])
            return self.send(200, MANIFEST, "application/vnd.oci.image.manifest.v1+json", [("Docker-Content-Digest", digest(MANIFEST))])
        if kind == "blobs":
            if repo == "redirect":
                host = "localhost:%d" % self.server.server_address[1]
                return self.send(307, b"", headers=[("Location", "http://%s/external/%s" % (host, ref))])
            return self.blob(ref, repo)
        self.error(404, "UNSUPPORTED", "unsupported")

    def blob(self, ref, repo):
        data = BLOBS.get(ref)
        if data is None:
            return self.error(404, "BLOB_UNKNOWN", "blob unknown")
        is_layer = data is LAYER
        if repo == "baddigest" and is_layer:
            data = data[:100] + bytes([data[100] ^ 0xff]) + data[101:]
        start = 0
        rng = self.headers.get("Range")
        if rng and rng.startswith("bytes=") and repo in ("good", "flaky", "truncated"):
            start = int(rng[6:].split("-")[0])
        body = data[start:]
        first_flaky = False
        if repo == "flaky" and is_layer:
            with lock:
                first_flaky = ref not in flaky_seen
                flaky_seen.add(ref)
        if repo == "flaky" and is_layer and not first_flaky and not start:
            # The retry must resume where the first download stopped, not start over.
            return self.send(500, b"expected a Range request on the retry", "text/plain")
        cut = is_layer and (repo == "truncated" or first_flaky)
        self.send_response(206 if start else 200)
        self.send_header("Content-Type", "application/octet-stream")
        if start:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data)))
        self.send_header("Connection", "close")
        if repo == "chunked":
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i in range(0, len(body), 7000):
                piece = body[i:i + 7000]
                self.wfile.write(b"%x;ext=1\r\n" % len(piece) + piece + b"\r\n")
            self.wfile.write(b"0\r\nX-Trailer: yes\r\n\r\n")
        else:
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[:len(body) // 2] if cut else body)
        self.wfile.flush()
        self.close_connection = True


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
path = sys.argv[1]
with open(path + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(path + ".tmp", path)
server.serve_forever()
