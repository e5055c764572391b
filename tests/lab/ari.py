#!/usr/bin/env python3
"""ari.py - a small scriptable ACME directory for the ARI tests (RFC 9773).

Pebble 2.4 has no renewalInfo. This HTTPS server (lab certificate, loopback
only) is a reverse proxy in front of pebble that keeps its own Host header,
so pebble's URLs (directory, Location, account kid) all point here and every
JWS "url" matches. On top of that:
  - the directory gains "renewalInfo"; GET /renewalInfo/<certID> answers
    with the window the test wrote into the control file;
  - POST /order-plz (newOrder) records the "replaces" member of the signed,
    unmodified payload before forwarding it; or, when the control file says
    so, answers alreadyReplaced to an order that carries "replaces".

usage: ari.py CERT KEY PORT PEBBLE_DIR_URL CA_BUNDLE CONTROL LOG

CONTROL (JSON, re-read on every request):
  {"start": EPOCH, "end": EPOCH,          the suggested window
   "retry_after": SECONDS,                 optional Retry-After header
   "status": 200,                          optional HTTP status for ARI
   "explanation": URL,                     optional explanationURL
   "already_replaced": false}              reject orders with replaces
LOG gets one line per request: "ari ID" or "order replaces=ID|-" or
"order rejected replaces=ID".
"""
import base64
import http.client
import http.server
import json
import ssl
import sys
import threading
import time
import urllib.parse

BODY_MAX = 256 * 1024

CERT, KEY, PORT, PEBBLE_DIR, CA, CONTROL, LOG = sys.argv[1:8]
PORT = int(PORT)
SELF = "https://127.0.0.1:%d" % PORT
PEBBLE = urllib.parse.urlsplit(PEBBLE_DIR)
LOCK = threading.Lock()


def log(line):
    with LOCK, open(LOG, "a") as f:
        f.write(line + "\n")


def control():
    with open(CONTROL) as f:
        return json.load(f)


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def pebble_conn():
    ctx = ssl.create_default_context(cafile=CA)
    return http.client.HTTPSConnection(PEBBLE.hostname, PEBBLE.port,
                                       context=ctx, timeout=30)


def b64d(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, ctype, body, headers=()):
        data = body if isinstance(body, bytes) else body.encode()
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def forward(self, body=None):
        """The request as is to pebble, with our Host: pebble builds its
        URLs (directory, Location, kid prefix) from it, so the client
        keeps talking to us and every JWS "url" matches."""
        c = pebble_conn()
        c.putrequest(self.command, self.path, skip_host=True,
                     skip_accept_encoding=True)
        c.putheader("Host", "127.0.0.1:%d" % PORT)
        if body is not None:
            c.putheader("Content-Type", self.headers.get("Content-Type", ""))
            c.putheader("Content-Length", str(len(body)))
        c.endheaders(body)
        r = c.getresponse()
        data = r.read()
        c.close()
        hdrs = [(k, v) for k, v in r.getheaders()
                if k.lower() in ("replay-nonce", "location", "link",
                                 "retry-after", "cache-control")]
        return r.status, r.getheader("Content-Type"), data, hdrs

    def do_HEAD(self):
        self.reply(*self.forward())

    def do_GET(self):
        if self.path == PEBBLE.path:
            status, ctype, data, hdrs = self.forward()
            d = json.loads(data)
            d["renewalInfo"] = SELF + "/renewalInfo"
            self.reply(status, ctype, json.dumps(d), hdrs)
            return
        if self.path.startswith("/renewalInfo/"):
            cid = self.path[len("/renewalInfo/"):]
            log("ari " + cid)
            ctl = control()
            status = int(ctl.get("status", 200))
            hdrs = []
            if "retry_after" in ctl:
                hdrs.append(("Retry-After", str(ctl["retry_after"])))
            if status != 200:
                self.reply(status, "text/plain", "scripted failure\n", hdrs)
                return
            body = {"suggestedWindow": {"start": rfc3339(ctl["start"]),
                                        "end": rfc3339(ctl["end"])}}
            if ctl.get("explanation"):
                body["explanationURL"] = ctl["explanation"]
            self.reply(200, "application/json", json.dumps(body), hdrs)
            return
        self.reply(*self.forward())

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        if n > BODY_MAX:
            self.reply(413, "text/plain", "too large\n")
            return
        body = self.rfile.read(n)
        if self.path == "/order-plz":
            payload = json.loads(b64d(json.loads(body)["payload"]))
            replaces = payload.get("replaces")
            if replaces is not None and control().get("already_replaced"):
                log("order rejected replaces=" + replaces)
                prob = {"type":
                        "urn:ietf:params:acme:error:alreadyReplaced",
                        "detail": "this certificate was already replaced",
                        "status": 409}
                self.reply(409, "application/problem+json",
                           json.dumps(prob))
                return
            log("order replaces=" + (replaces or "-"))
        self.reply(*self.forward(body))


def main():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(CERT, KEY)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
