#!/usr/bin/env python3
# lab-https.py CERT KEY PORT STATUS CONTENT-TYPE BODYFILE - a tiny HTTPS
# server on 127.0.0.1 that answers every request (any method, any path) with
# the same status, content type and body. Used to feed certd bad input
# (an HTML page, broken JSON); it trusts nothing it receives.
import http.server
import ssl
import sys

cert, key, port, status, ctype, bodyfile = sys.argv[1:7]
with open(bodyfile, "rb") as f:
    body = f.read()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self):
        n = int(self.headers.get("Content-Length") or 0)
        if 0 < n < 1 << 20:
            self.rfile.read(n)
        self.send_response(int(status))
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Replay-Nonce", "bGFiLW5vbmNl")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = answer

    def log_message(self, fmt, *args):
        sys.stderr.write("lab-https: %s\n" % (fmt % args))


srv = http.server.ThreadingHTTPServer(("127.0.0.1", int(port)), Handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
