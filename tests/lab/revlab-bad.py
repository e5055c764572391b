#!/usr/bin/env python3
# revlab-bad.py MODE PORT [FILE] - a misbehaving HTTP peer on 127.0.0.1:PORT
# standing in for an OCSP responder or a CRL server. Every request (any
# method, any path) gets the same treatment:
#   garbage   200 application/ocsp-response, a body of random bytes
#   nothttp   random bytes with no HTTP framing at all, then close
#   http500   500 Internal Server Error
#   hang      read the request, never answer (until killed): timeout tests
#   replay    200 application/ocsp-response with the bytes of FILE (an
#             OCSP response captured earlier, e.g. with another nonce)
#   tripwire  accept, log, close at once: proves no connection was made
#   redirect  302 Found with "Location: FILE" (FILE is the target URL)
#   big       200 application/ocsp-response with a DER-looking body of
#             FILE bytes (FILE is a number here: size cap tests)
# Logs "conn" per connection and "req METHOD PATH LEN" per request to
# stderr. Reads at most 64 KiB of headers and 1 MiB of body.
import os
import socket
import socketserver
import sys
import threading

mode, port = sys.argv[1], int(sys.argv[2])
body = b""
if mode == "replay":
    with open(sys.argv[3], "rb") as f:
        body = f.read()
elif mode in ("garbage", "nothttp"):
    body = b"\x30\x82\xff\xff" + os.urandom(600)
elif mode == "redirect":
    location = sys.argv[3]
elif mode == "big":
    body = b"\x30\x84\x7f\xff\xff\xff" + b"\x00" * int(sys.argv[3])
elif mode not in ("http500", "hang", "tripwire"):
    sys.exit("revlab-bad: unknown mode %s" % mode)

lock = threading.Lock()


def log(line):
    with lock:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()


def read_request(sock):
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(4096)
        if not chunk:
            return None
        buf += chunk
        if len(buf) > 65536:
            return None
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.split(b"\r\n")
    n = 0
    for h in lines[1:]:
        k, _, v = h.partition(b":")
        if k.strip().lower() == b"content-length":
            try:
                n = min(int(v.strip()), 1 << 20)
            except ValueError:
                n = 0
    while len(rest) < n:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    parts = lines[0].split(b" ")
    method = parts[0].decode("latin-1", "replace")
    path = parts[1].decode("latin-1", "replace") if len(parts) > 1 else "?"
    log("req %s %s %d" % (method, path, len(rest)))
    return method


def answer(sock, status, reason, ctype, data, extra=""):
    hdr = ("HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n"
           "%sConnection: close\r\n\r\n" % (status, reason, ctype,
                                              len(data), extra))
    sock.sendall(hdr.encode() + data)


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        s = self.request
        log("conn")
        if mode == "tripwire":
            return
        try:
            if read_request(s) is None:
                return
            if mode == "hang":
                threading.Event().wait()
            elif mode == "nothttp":
                s.sendall(body)
            elif mode == "redirect":
                answer(s, 302, "Found", "text/plain", b"moved\n",
                       "Location: %s\r\n" % location)
            elif mode == "http500":
                answer(s, 500, "Internal Server Error", "text/plain",
                       b"internal error\n")
            else:
                answer(s, 200, "OK", "application/ocsp-response", body)
        except OSError:
            pass


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    address_family = socket.AF_INET


Server(("127.0.0.1", port), Handler).serve_forever()
