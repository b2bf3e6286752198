#!/bin/bash
# Builds a 3-layer gzip OCI image layout (many small files + large files + a whiteout) at ./layout.
set -euo pipefail
cd "$(dirname "$0")"
rm -rf src layers layout; mkdir -p src/l1 src/l2/usr/share src/l3/data layers
mkdir -p src/l1/usr/share && cp -a /usr/share/doc /usr/share/man /usr/share/zoneinfo src/l1/usr/share/
cp -a /usr/share/locale /usr/share/go-1.19 src/l2/usr/share/
mkdir -p src/l3/usr/share/doc && touch src/l3/usr/share/doc/.wh.bash   # a whiteout over layer 1
head -c 100M /dev/urandom > src/l3/data/random.bin
python3 -c "import sys; sys.stdout.buffer.write(b'compressible line of text for a log file\n' * 2500000)" > src/l3/data/text.log
for l in l1 l2 l3; do
  tar --numeric-owner --format=pax -C src/$l -cf layers/$l.tar .
  gzip -6 -k layers/$l.tar
done
python3 - <<'PY'
import hashlib, json, os
os.makedirs("layout/blobs/sha256", exist_ok=True)
def blob(b):
    d = hashlib.sha256(b).hexdigest(); open("layout/blobs/sha256/" + d, "wb").write(b); return "sha256:" + d, len(b)
def fileblob(p):
    h = hashlib.sha256(); n = 0
    with open(p, "rb") as f:
        while True:
            c = f.read(1 << 20)
            if not c: break
            h.update(c); n += len(c)
    d = h.hexdigest(); os.link(p, "layout/blobs/sha256/" + d) if not os.path.exists("layout/blobs/sha256/" + d) else None
    return "sha256:" + d, n
diffs = [fileblob("layers/%s.tar" % l)[0] for l in ("l1", "l2", "l3")]
for l in ("l1", "l2", "l3"): os.unlink("layout/blobs/sha256/" + fileblob("layers/%s.tar" % l)[0][7:])
gz = [fileblob("layers/%s.tar.gz" % l) for l in ("l1", "l2", "l3")]
cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/bin/true"], "Env": ["PATH=/bin"]},
                  "rootfs": {"type": "layers", "diff_ids": diffs}}).encode()
cd, cs = blob(cfg)
m = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cs},
                "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d, "size": s} for d, s in gz]}).encode()
md, ms = blob(m)
open("layout/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
open("layout/index.json", "w").write(json.dumps({"schemaVersion": 2, "manifests": [
    {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": ms,
     "annotations": {"org.opencontainers.image.ref.name": "big"}}]}))
PY
for l in l1 l2 l3; do echo "$l: $(tar -tf layers/$l.tar | wc -l) entries, $(stat -c %s layers/$l.tar) bytes, gz $(stat -c %s layers/$l.tar.gz)"; done
