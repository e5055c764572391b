#!/usr/bin/env python3
# revlab-http.py DIR PORT - serve the files of DIR (flat, no subdirectories)
# over plain HTTP/1.1 on 127.0.0.1:PORT for CRL and caIssuers fetches, with
# ETag (sha256 of the content) and Last-Modified, answering 304 to a
# matching If-None-Match / If-Modified-Since. Logs one line per request to
# stderr: "req METHOD PATH STATUS inm=<If-None-Match> ims=<If-Modified-Since>".
# Trusts nothing it receives; a file is read afresh for every request, so a
# test swaps what is served by replacing the file (mv, atomically).
import email.utils
import hashlib
import http.server
import os
import sys

root, port = sys.argv[1], int(sys.argv[2])
TYPES = {".crl": "application/pkix-crl", ".der": "application/pkix-cert",
         ".p7c": "application/pkcs7-mime", ".pem": "application/x-pem-file"}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_line(self, status):
        inm = self.headers.get("If-None-Match", "-")
        ims = self.headers.get("If-Modified-Since", "-")
        sys.stderr.write("req %s %s %d inm=%s ims=%s\n" % (
            self.command, self.path, status, inm.replace(" ", "_"),
            ims.replace(" ", "_")))
        sys.stderr.flush()

    def plain(self, status, text):
        body = text.encode()
        self.log_line(status)
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        name = self.path.split("?", 1)[0].lstrip("/")
        if not name or "/" in name or name.startswith("."):
            return self.plain(404, "not found\n")
        path = os.path.join(root, name)
        try:
            with open(path, "rb") as f:
                body = f.read()
            mtime = int(os.stat(path).st_mtime)
        except OSError:
            return self.plain(404, "not found\n")
        etag = '"%s"' % hashlib.sha256(body).hexdigest()[:32]
        lastmod = email.utils.formatdate(mtime, usegmt=True)
        inm = self.headers.get("If-None-Match")
        ims = self.headers.get("If-Modified-Since")
        notmod = False
        if inm is not None:
            notmod = etag in [t.strip() for t in inm.split(",")] or \
                inm.strip() == "*"
        elif ims is not None:
            try:
                t = email.utils.parsedate_to_datetime(ims).timestamp()
                notmod = mtime <= t
            except (TypeError, ValueError):
                notmod = False
        status = 304 if notmod else 200
        self.log_line(status)
        self.send_response(status)
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", lastmod)
        if notmod:
            self.end_headers()
            return
        ext = os.path.splitext(name)[1]
        self.send_header("Content-Type",
                         TYPES.get(ext, "application/octet-stream"))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_HEAD = do_GET

    def do_POST(self):
        self.plain(405, "method not allowed\n")

    def log_message(self, fmt, *args):
        pass


srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
srv.daemon_threads = True
srv.serve_forever()
