#!/usr/bin/env python3
"""A minimal Docker token issuer for tests (Distribution `auth: token`).

Listens on 127.0.0.1 (port 0 = any free port; the chosen port is printed as
`PORT=<n>` on stdout), checks Basic credentials, and answers
`GET /token?service=&scope=...` (and the OAuth2 `POST /token` form) with an
RS256 JWT carrying an `x5c` header, signed with `openssl dgst` using the given
key. Every token request is appended to the log file as one JSON line:
{"method", "user", "service", "scopes", "status"}.

Usage: token_issuer.py --key K --cert C --issuer I --service S --user U --password P --log L [--port N]
"""
import argparse
import base64
import json
import os
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--key", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--issuer", required=True)
    ap.add_argument("--service", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--expires-in", type=int, default=300)
    args = ap.parse_args()

    with open(args.cert) as f:
        cert_der = ssl.PEM_cert_to_DER_cert(f.read())
    x5c = base64.b64encode(cert_der).decode()
    log_lock = threading.Lock()

    def sign(payload: bytes) -> bytes:
        out = subprocess.run(
            ["openssl", "dgst", "-sha256", "-sign", args.key],
            input=payload, capture_output=True, check=True,
        )
        return out.stdout

    def make_token(user: str, scopes: list) -> str:
        access = []
        if user:
            for s in scopes:
                parts = s.split(":")
                if len(parts) >= 3:
                    access.append({
                        "type": parts[0],
                        "name": ":".join(parts[1:-1]),
                        "actions": [a for a in parts[-1].split(",") if a],
                    })
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": [x5c]}
        claims = {
            "iss": args.issuer, "sub": user, "aud": args.service,
            "exp": now + args.expires_in, "nbf": now - 10, "iat": now,
            "jti": b64url(os.urandom(12)), "access": access,
        }
        signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode()) + "."
                         + b64url(json.dumps(claims, separators=(",", ":")).encode()))
        return signing_input + "." + b64url(sign(signing_input.encode()))

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):  # quiet
            pass

        def reply(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def record(self, method, user, service, scopes, status):
            with log_lock, open(args.log, "a") as f:
                f.write(json.dumps({"method": method, "user": user, "service": service,
                                    "scopes": scopes, "status": status}) + "\n")

        def handle_token(self, method: str, params: dict) -> None:
            scopes = []
            for s in params.get("scope", []):
                scopes.extend(x for x in s.split(" ") if x)
            service = (params.get("service") or [""])[0]
            user = ""
            auth = self.headers.get("Authorization", "")
            if method == "POST":
                # OAuth2 refresh-token form: the refresh token is the password.
                if (params.get("refresh_token") or [""])[0] != args.password:
                    self.record(method, "?", service, scopes, 401)
                    return self.reply(401, {"details": "incorrect username or password"})
                user = args.user
            elif auth.startswith("Basic "):
                try:
                    u, _, p = base64.b64decode(auth[6:]).decode().partition(":")
                except Exception:
                    u, p = "", ""
                if u != args.user or p != args.password:
                    self.record(method, u, service, scopes, 401)
                    return self.reply(401, {"details": "incorrect username or password"})
                user = u
            token = make_token(user, scopes)
            self.record(method, user or "-", service, scopes, 200)
            self.reply(200, {"token": token, "access_token": token,
                             "expires_in": args.expires_in,
                             "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})

        def do_GET(self):
            url = urllib.parse.urlparse(self.path)
            if url.path != "/token":
                return self.reply(404, {"details": "not found"})
            self.handle_token("GET", urllib.parse.parse_qs(url.query))

        def do_POST(self):
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n).decode()
            self.handle_token("POST", urllib.parse.parse_qs(body))

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print(f"PORT={server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
