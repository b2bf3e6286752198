#!/usr/bin/env python3
"""mklayout.py OUT NAME CMD LAYER.tar.gz... : an OCI layout with gzip layers (diff IDs from the gunzipped tars)."""
import gzip, hashlib, json, os, sys
out, name, cmd, layers = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
os.makedirs(out + "/blobs/sha256", exist_ok=True)
def put(b):
    d = hashlib.sha256(b).hexdigest(); open(out + "/blobs/sha256/" + d, "wb").write(b); return {"digest": "sha256:" + d, "size": len(b)}
diffs, descs = [], []
for l in layers:
    raw = open(l, "rb").read()
    diffs.append("sha256:" + hashlib.sha256(gzip.decompress(raw)).hexdigest())
    descs.append(dict(mediaType="application/vnd.oci.image.layer.v1.tar+gzip", **put(raw)))
cfg = put(json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": [cmd], "Env": ["PATH=/bin"]},
                      "rootfs": {"type": "layers", "diff_ids": diffs}}).encode())
m = put(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "config": dict(mediaType="application/vnd.oci.image.config.v1+json", **cfg), "layers": descs}).encode())
open(out + "/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
json.dump({"schemaVersion": 2, "manifests": [dict(mediaType="application/vnd.oci.image.manifest.v1+json",
           annotations={"org.opencontainers.image.ref.name": name}, **m)]}, open(out + "/index.json", "w"))
