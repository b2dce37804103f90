#!/usr/bin/env python3
"""Start Debian's Distribution registry on 127.0.0.1 for manual and e2e runs.

Modes: none | basic (htpasswd) | token (Docker token auth with
token_issuer.py). CORS headers are set so a page on another origin can talk
to the no-auth registry (see /work/shared/docs/toolchain.md for why auth
modes need a same-origin proxy in browsers).

    registry.py MODE DIR [--port N] [--user U] [--password P] [--tls]

Prints one JSON line: {"registry": "127.0.0.1:PORT", "pid": ..., "issuer":
"http://127.0.0.1:IPORT/token" | null, "user": ..., "password": ..., "ca": path|null},
then stays in the foreground until SIGTERM/SIGINT, and stops only the
processes it started. Storage: DIR/data; logs: DIR/registry.log, DIR/issuer.log.
Fails (exit 1) if /usr/bin/docker-registry is missing.
"""
import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REGISTRY_BIN = os.environ.get("REGISTRY_BIN", "/usr/bin/docker-registry")
# The `http.headers` every test and demo registry sends.
with open(os.path.join(HERE, "registry-cors.yml")) as _f:
    CORS_HEADERS = _f.read()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(*args, cwd=None):
    subprocess.run(args, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["none", "basic", "token"])
    ap.add_argument("dir")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--user", default="airlock")
    ap.add_argument("--password", default="airlock-pass")
    ap.add_argument("--tls", action="store_true")
    args = ap.parse_args()
    if not os.path.exists(REGISTRY_BIN):
        print(f"{REGISTRY_BIN} is missing (apt-get install docker-registry)", file=sys.stderr)
        return 1
    d = os.path.abspath(args.dir)
    os.makedirs(os.path.join(d, "data"), exist_ok=True)
    port = args.port or free_port()
    children = []

    def stop(*_):
        for c in reversed(children):
            if c.poll() is None:
                c.terminate()
                try:
                    c.wait(5)
                except subprocess.TimeoutExpired:
                    c.kill()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    auth, issuer_url, ca = "", None, None
    if args.mode == "basic":
        run("htpasswd", "-bBc", os.path.join(d, "htpasswd"), args.user, args.password)
        auth = f"auth:\n  htpasswd:\n    realm: airlock-test\n    path: {d}/htpasswd\n"
    elif args.mode == "token":
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
            "-subj", "/CN=airlock-test-issuer", "-keyout", "issuer-key.pem", "-out", "issuer-cert.pem", cwd=d)
        issuer = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "token_issuer.py"), "--port", "0",
             "--key", f"{d}/issuer-key.pem", "--cert", f"{d}/issuer-cert.pem",
             "--issuer", "airlock-test-issuer", "--service", "airlock-test-registry",
             "--user", args.user, "--password", args.password, "--log", f"{d}/issuer.log"],
            stdout=subprocess.PIPE, text=True)
        children.append(issuer)
        iport = int(issuer.stdout.readline().strip().split("=", 1)[1])
        issuer_url = f"http://127.0.0.1:{iport}/token"
        auth = (f"auth:\n  token:\n    realm: {issuer_url}\n    service: airlock-test-registry\n"
                f"    issuer: airlock-test-issuer\n    rootcertbundle: {d}/issuer-cert.pem\n")
    tls = ""
    if args.tls:
        with open(os.path.join(d, "ext.cnf"), "w") as f:
            f.write("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
            "-subj", "/CN=airlock-test-ca", "-keyout", "ca.key", "-out", "ca.pem", cwd=d)
        run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
            "-keyout", "server.key", "-out", "server.csr", cwd=d)
        run("openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "30", "-out", "server.pem", "-extfile", "ext.cnf", cwd=d)
        tls = f"  tls:\n    certificate: {d}/server.pem\n    key: {d}/server.key\n"
        ca = f"{d}/ca.pem"
    config = f"""version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: {d}/data
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
{auth}http:
  addr: 127.0.0.1:{port}
  secret: airlock-test-not-secret
{tls}{CORS_HEADERS}"""
    with open(os.path.join(d, "config.yml"), "w") as f:
        f.write(config)
    log = open(os.path.join(d, "registry.log"), "ab")
    reg = subprocess.Popen([REGISTRY_BIN, "serve", os.path.join(d, "config.yml")],
                           stdout=log, stderr=log, stdin=subprocess.DEVNULL)
    children.append(reg)
    deadline = time.time() + 15
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            if reg.poll() is not None or time.time() > deadline:
                print("registry did not start; see registry.log", file=sys.stderr)
                stop()
            time.sleep(0.05)
    print(json.dumps({"registry": f"127.0.0.1:{port}", "pid": reg.pid, "issuer": issuer_url,
                      "user": args.user, "password": args.password, "ca": ca}), flush=True)
    while reg.poll() is None:
        time.sleep(0.5)
    stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
