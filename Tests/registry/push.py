#!/usr/bin/env python3
"""Push test images to a registry over the distribution HTTP API (python3 stdlib only).

  push.py image    URL REPO:TAG ROOTFS [--user U:P] [--cafile F] [--message TEXT]
  push.py index    URL REPO:TAG ROOTFS [--user U:P] [--cafile F] [--docker]

URL is http://127.0.0.1:PORT or https://... . `image` pushes a three-layer gzip image built from
a busybox rootfs (rootfs-examples/busybox/build.sh): busybox itself, the rest of the rootfs, and
/etc/pull-message (Cmd: cat it). `index` pushes that image as linux/amd64 and a one-layer
linux/arm64 image, then an OCI index of both (--docker: Docker schema 2 manifests and a
manifest list). Prints a JSON object of the digests.
"""
import argparse, base64, gzip, hashlib, io, json, os, re, ssl, sys, tarfile, urllib.error, urllib.parse, urllib.request

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER_GZ = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER = {"manifest": "application/vnd.docker.distribution.manifest.v2+json",
          "index": "application/vnd.docker.distribution.manifest.list.v2+json",
          "config": "application/vnd.docker.container.image.v1+json",
          "layer": "application/vnd.docker.image.rootfs.diff.tar.gzip"}
OCI = {"manifest": OCI_MANIFEST, "index": OCI_INDEX, "config": OCI_CONFIG, "layer": OCI_LAYER_GZ}


class Registry:
    def __init__(self, url, repo, user=None, cafile=None):
        self.url, self.repo = url.rstrip("/"), repo
        self.ctx = ssl.create_default_context(cafile=cafile) if cafile else None
        self.basic = ("Basic " + base64.b64encode(user.encode()).decode()) if user else None
        self.auth = self.basic

    def request(self, method, url, data=None, headers=None, retried=False):
        if not url.startswith("http"):
            url = self.url + url
        req = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
        if self.auth:
            req.add_header("Authorization", self.auth)
        try:
            with urllib.request.urlopen(req, context=self.ctx) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            body = e.read()
            if e.code == 401 and "Bearer" in e.headers.get("WWW-Authenticate", "") and not retried:
                self.bearer(e.headers["WWW-Authenticate"])
                return self.request(method, url, data, headers, True)
            raise SystemExit(f"push.py: {method} {url}: {e.code} {body[:300]!r}")

    def bearer(self, challenge):
        params = dict(re.findall(r'(\w+)="([^"]*)"', challenge))
        # Ask for push and pull at once: one token serves the whole push.
        q = urllib.parse.urlencode({"service": params.get("service", ""), "scope": f"repository:{self.repo}:pull,push"})
        req = urllib.request.Request(params["realm"] + "?" + q, headers={"Authorization": self.basic} if self.basic else {})
        with urllib.request.urlopen(req, context=self.ctx) as r:
            self.auth = "Bearer " + json.loads(r.read())["token"]

    def blob(self, data):
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        status, _, _ = self.head(f"/v2/{self.repo}/blobs/{digest}")
        if status == 200:
            return digest
        _, h, _ = self.request("POST", f"/v2/{self.repo}/blobs/uploads/")
        loc = h["Location"]
        sep = "&" if "?" in loc else "?"
        self.request("PUT", loc + sep + "digest=" + digest, data, {"Content-Type": "application/octet-stream"})
        return digest

    def head(self, path, retried=False):
        req = urllib.request.Request(self.url + path, method="HEAD")
        if self.auth:
            req.add_header("Authorization", self.auth)
        try:
            with urllib.request.urlopen(req, context=self.ctx) as r:
                return r.status, dict(r.headers), b""
        except urllib.error.HTTPError as e:
            if e.code == 401 and "Bearer" in e.headers.get("WWW-Authenticate", "") and not retried:
                self.bearer(e.headers["WWW-Authenticate"])
                return self.head(path, True)
            return e.code, {}, b""

    def manifest(self, ref, data, media_type):
        self.request("PUT", f"/v2/{self.repo}/manifests/{ref}", data, {"Content-Type": media_type})
        return "sha256:" + hashlib.sha256(data).hexdigest()


def tar_layer(rootfs, select, extra=None):
    """A gzip tar of the rootfs paths `select(relpath)` accepts, plus extra {path: bytes}."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
        for top, dirs, files in os.walk(rootfs):
            dirs.sort()
            for name in sorted(dirs) + sorted(files):
                full = os.path.join(top, name)
                rel = os.path.relpath(full, rootfs)
                if select(rel):
                    info = t.gettarinfo(full, rel)
                    info.uid = info.gid = 0
                    info.uname = info.gname = ""
                    info.mtime = 0
                    if info.isfile():
                        with open(full, "rb") as f:
                            t.addfile(info, f)
                    else:
                        t.addfile(info)
        for path, data in sorted((extra or {}).items()):
            info = tarfile.TarInfo(path)
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            t.addfile(info, io.BytesIO(data))
    diff = raw.getvalue()
    return gzip.compress(diff, mtime=0), "sha256:" + hashlib.sha256(diff).hexdigest()


def push_image(reg, layers, arch, cmd, types=OCI):
    config = json.dumps({
        "architecture": arch, "os": "linux",
        "config": {"Cmd": cmd, "Env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]},
        "rootfs": {"type": "layers", "diff_ids": [d for _, d in layers]},
    }).encode()
    descs = [{"mediaType": types["layer"], "digest": reg.blob(gz), "size": len(gz)} for gz, _ in layers]
    cdesc = {"mediaType": types["config"], "digest": reg.blob(config), "size": len(config)}
    manifest = json.dumps({"schemaVersion": 2, "mediaType": types["manifest"], "config": cdesc, "layers": descs}).encode()
    return manifest, [d["digest"] for d in descs], cdesc["digest"]


def busybox_layers(rootfs, message):
    return [
        tar_layer(rootfs, lambda r: r in ("bin", "bin/busybox")),
        tar_layer(rootfs, lambda r: r != "bin/busybox"),
        tar_layer(rootfs, lambda r: False, {"etc/pull-message": message.encode()}),
    ]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("kind", choices=["image", "index"])
    ap.add_argument("url")
    ap.add_argument("ref")
    ap.add_argument("rootfs")
    ap.add_argument("--user")
    ap.add_argument("--cafile")
    ap.add_argument("--message", default="hello from the registry\n")
    ap.add_argument("--docker", action="store_true", help="Docker schema 2 media types instead of OCI")
    a = ap.parse_args()
    repo, tag = a.ref.rsplit(":", 1)
    reg = Registry(a.url, repo, a.user, a.cafile)
    cmd = ["cat", "/etc/pull-message"]
    out = {}
    if a.kind == "image":
        manifest, layers, config = push_image(reg, busybox_layers(a.rootfs, a.message), "amd64", cmd)
        out = {"manifest": reg.manifest(tag, manifest, OCI_MANIFEST), "layers": layers, "config": config}
    else:
        t = DOCKER if a.docker else OCI
        amd, _, _ = push_image(reg, busybox_layers(a.rootfs, a.message), "amd64", cmd, t)
        arm, _, _ = push_image(reg, [tar_layer(a.rootfs, lambda r: False, {"etc/pull-message": b"arm64\n"})], "arm64", cmd, t)
        amd_d = reg.manifest("sha256:" + hashlib.sha256(amd).hexdigest(), amd, t["manifest"])
        arm_d = reg.manifest("sha256:" + hashlib.sha256(arm).hexdigest(), arm, t["manifest"])
        index = json.dumps({"schemaVersion": 2, "mediaType": t["index"], "manifests": [
            {"mediaType": t["manifest"], "digest": amd_d, "size": len(amd), "platform": {"os": "linux", "architecture": "amd64"}},
            {"mediaType": t["manifest"], "digest": arm_d, "size": len(arm), "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
        ]}).encode()
        out = {"index": reg.manifest(tag, index, t["index"]), "amd64": amd_d, "arm64": arm_d}
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
