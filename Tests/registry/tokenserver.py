#!/usr/bin/env python3
"""A tiny token server for distribution's `auth: token` (python3 stdlib + the openssl CLI).

  tokenserver.py PORTFILE KEY CERT --service S --issuer I --user U:P [--public PREFIX]

Listens on 127.0.0.1 (a free port, written to PORTFILE). GET /token?service=&scope= answers
{"token": JWT} signed RS256 with KEY; the JWT header carries CERT in x5c, which the registry
checks against its rootcertbundle. With Basic credentials U:P every requested action is
granted; anonymously only pull on repositories starting with PREFIX. Wrong credentials: 401.
"""
import argparse, base64, http.server, json, os, subprocess, sys, time, urllib.parse


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("portfile")
    ap.add_argument("key")
    ap.add_argument("cert")
    ap.add_argument("--service", required=True)
    ap.add_argument("--issuer", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--public", default="public/")
    a = ap.parse_args()
    pem = open(a.cert).read()
    der_b64 = "".join(l for l in pem.splitlines() if l and not l.startswith("-----"))
    good = "Basic " + base64.b64encode(a.user.encode()).decode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def reply(self, code, obj):
            body = json.dumps(obj).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            url = urllib.parse.urlparse(self.path)
            q = urllib.parse.parse_qs(url.query)
            auth = self.headers.get("Authorization")
            if auth and auth != good:
                return self.reply(401, {"details": "wrong user name or password"})
            access = []
            for scope in q.get("scope", []):
                for s in scope.split(" "):
                    parts = s.split(":")
                    if len(parts) < 3 or parts[0] != "repository":
                        continue
                    name, actions = ":".join(parts[1:-1]), parts[-1].split(",")
                    if auth:
                        access.append({"type": "repository", "name": name, "actions": actions})
                    elif name.startswith(a.public):
                        access.append({"type": "repository", "name": name, "actions": [x for x in actions if x == "pull"]})
            now = int(time.time())
            header = {"typ": "JWT", "alg": "RS256", "x5c": [der_b64]}
            claims = {"iss": a.issuer, "sub": "tester" if auth else "", "aud": q.get("service", [a.service])[0],
                      "exp": now + 600, "nbf": now - 60, "iat": now, "jti": os.urandom(8).hex(), "access": access}
            signing = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
            sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", a.key], input=signing.encode(),
                                 capture_output=True, check=True).stdout
            token = signing + "." + b64url(sig)
            self.reply(200, {"token": token, "access_token": token, "expires_in": 600})

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(a.portfile + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(a.portfile + ".tmp", a.portfile)
    server.serve_forever()


if __name__ == "__main__":
    main()
