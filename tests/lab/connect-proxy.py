#!/usr/bin/env python3
"""connect-proxy.py - an HTTP CONNECT proxy for the proxy test (loopback only).

usage: connect-proxy.py PORT LOG [USER:PASS]

Listens on 127.0.0.1:PORT. Each request line is appended to LOG ("CONNECT
host:port auth=yes|no" or "REFUSED ..."). Only CONNECT to 127.0.0.1 or
localhost is relayed; anything else gets 403, other methods 405. With
USER:PASS, a request without the matching Proxy-Authorization: Basic gets
407. A connection is relayed byte for byte until either side closes.
"""
import base64
import select
import socket
import socketserver
import sys
import threading

PORT, LOG = int(sys.argv[1]), sys.argv[2]
AUTH = sys.argv[3] if len(sys.argv) > 3 else None
lock = threading.Lock()


def log(line):
    with lock, open(LOG, "a") as f:
        f.write(line + "\n")


class Handler(socketserver.StreamRequestHandler):
    def answer(self, status, text):
        self.wfile.write(("HTTP/1.1 %d %s\r\nContent-Length: 0\r\n"
                          "Proxy-Authenticate: Basic realm=\"lab\"\r\n\r\n"
                          % (status, text)).encode())

    def handle(self):
        line = self.rfile.readline(8192).decode("latin-1").rstrip("\r\n")
        headers = {}
        while True:
            h = self.rfile.readline(8192).decode("latin-1").rstrip("\r\n")
            if not h:
                break
            k, _, v = h.partition(":")
            headers[k.strip().lower()] = v.strip()
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != "CONNECT":
            log("REFUSED " + line)
            return self.answer(405, "Method Not Allowed")
        host, _, port = parts[1].rpartition(":")
        got = headers.get("proxy-authorization")
        if AUTH is not None:
            want = "Basic " + base64.b64encode(AUTH.encode()).decode()
            if got != want:
                log("REFUSED %s auth=%s" % (parts[1], got))
                return self.answer(407, "Proxy Authentication Required")
        if host not in ("127.0.0.1", "localhost"):
            log("REFUSED " + parts[1])
            return self.answer(403, "Forbidden")
        log("CONNECT %s auth=%s" % (parts[1], "yes" if got else "no"))
        up = socket.create_connection(("127.0.0.1", int(port)), timeout=10)
        self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        self.wfile.flush()
        down = self.connection
        # the client speaks only after the 200, so rfile holds nothing
        socks = [down, up]
        while True:
            r, _, _ = select.select(socks, [], [], 30)
            if not r:
                break
            for s in r:
                data = s.recv(65536)
                if not data:
                    up.close()
                    return
                (up if s is down else down).sendall(data)


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


Server(("127.0.0.1", PORT), Handler).serve_forever()
