#!/usr/bin/env python3
# revlab-smtp.py MODE CHAIN KEY PORT [STAPLE] - an SMTP probe target on
# 127.0.0.1.
# MODE starttls: 220 banner, EHLO advertises STARTTLS, STARTTLS -> 220 and
# a TLS handshake presenting CHAIN (leaf + intermediates, PEM) with KEY;
# then EHLO (no STARTTLS any more), NOOP, QUIT. MODE tls: implicit TLS
# (handshake first, then the same dialogue). Broken peers: nostarttls (EHLO
# without STARTTLS, STARTTLS refused 454), garbage (binary junk instead of
# a banner, then close), hang (never says anything), busy (554 banner).
# MODE staple: like starttls, but after "220 Ready" the TLS bytes are
# relayed to a child `openssl s_server -status_file STAPLE` (Python's ssl
# module cannot staple), which presents CHAIN and staples the DER OCSP
# response STAPLE; after the handshake it answers nothing (a probe QUITs).
# Logs "conn", "cmd LINE", "tls VERSION" (or "relay") and "quit" to
# stderr. Client lines are bounded (1000 bytes) and only matched against a
# few verbs; nothing else is trusted.
import os
import selectors
import shutil
import signal
import socket
import socketserver
import ssl
import subprocess
import sys
import tempfile
import threading
import time

mode, chain, key, port = sys.argv[1], sys.argv[2], sys.argv[3], \
    int(sys.argv[4])
if mode not in ("starttls", "tls", "nostarttls", "garbage", "hang", "busy",
                "staple"):
    sys.exit("revlab-smtp: unknown mode %s" % mode)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(chain, key)
lock = threading.Lock()
backend = None
backend_port = 0
backend_tmp = None


def start_backend(staple):
    """openssl s_server on a free loopback port, stapling STAPLE"""
    global backend, backend_port, backend_tmp
    pems = open(chain).read().split("-----END CERTIFICATE-----")
    pems = [p.strip() + "\n-----END CERTIFICATE-----\n"
            for p in pems if "BEGIN CERTIFICATE" in p]
    tmp = backend_tmp = tempfile.mkdtemp(prefix="revlab-staple.")
    with open(os.path.join(tmp, "leaf.pem"), "w") as f:
        f.write(pems[0])
    with open(os.path.join(tmp, "rest.pem"), "w") as f:
        f.write("".join(pems[1:]) or pems[0])
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    backend_port = s.getsockname()[1]
    s.close()
    backend = subprocess.Popen(
        ["openssl", "s_server", "-quiet", "-accept",
         "127.0.0.1:%d" % backend_port, "-cert",
         os.path.join(tmp, "leaf.pem"), "-key", key, "-cert_chain",
         os.path.join(tmp, "rest.pem"), "-status_file", staple],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
        stderr=sys.stderr)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", backend_port), 1).close()
            return
        except OSError:
            if backend.poll() is not None:
                sys.exit("revlab-smtp: openssl s_server died")
            time.sleep(0.05)
    sys.exit("revlab-smtp: openssl s_server did not listen")


def stop_backend(*_):
    if backend is not None and backend.poll() is None:
        backend.terminate()
        backend.wait()
    if backend_tmp is not None:
        shutil.rmtree(backend_tmp, ignore_errors=True)
    os._exit(0)


def relay(client):
    """splice client <-> backend until either side closes"""
    b = socket.create_connection(("127.0.0.1", backend_port), 5)
    sel = selectors.DefaultSelector()
    sel.register(client, selectors.EVENT_READ, b)
    sel.register(b, selectors.EVENT_READ, client)
    try:
        while True:
            ev = sel.select(30)
            if not ev:
                return
            for k, _ in ev:
                data = k.fileobj.recv(65536)
                if not data:
                    return
                k.data.sendall(data)
    finally:
        b.close()


def log(line):
    with lock:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()


class Conn:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def send(self, text):
        self.sock.sendall(text.encode())

    def line(self):
        while b"\n" not in self.buf:
            if len(self.buf) > 1000:
                return None
            chunk = self.sock.recv(1024)
            if not chunk:
                return None
            self.buf += chunk
        ln, self.buf = self.buf.split(b"\n", 1)
        return ln.rstrip(b"\r").decode("latin-1", "replace")

    def starttls(self):
        if self.buf:
            # bytes pipelined after STARTTLS: RFC 3207 says discard
            log("pipelined-after-starttls %d" % len(self.buf))
            self.buf = b""
        self.sock = ctx.wrap_socket(self.sock, server_side=True)
        log("tls %s" % self.sock.version())


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        c = Conn(self.request)
        self.request.settimeout(30)
        log("conn")
        tls = False
        try:
            if mode == "hang":
                threading.Event().wait()
            if mode == "garbage":
                c.sock.sendall(b"\x00\xff\x16\x03\x01" + bytes(range(256)))
                return
            if mode == "busy":
                c.send("554 5.3.2 busy, go away\r\n")
                c.line()
                return
            if mode == "tls":
                c.starttls()
                tls = True
            c.send("220 probe.revlab.test ESMTP revlab\r\n")
            while True:
                ln = c.line()
                if ln is None:
                    log("eof")
                    return
                log("cmd %s" % ln[:80])
                verb = ln.split(" ", 1)[0].upper()
                if verb == "EHLO":
                    ext = "" if tls or mode == "nostarttls" else \
                        "250-STARTTLS\r\n"
                    c.send("250-probe.revlab.test\r\n250-PIPELINING\r\n" +
                           ext + "250 8BITMIME\r\n")
                elif verb == "HELO":
                    c.send("250 probe.revlab.test\r\n")
                elif verb == "STARTTLS" and mode == "nostarttls":
                    c.send("454 4.7.0 TLS not available\r\n")
                elif verb == "STARTTLS" and mode == "staple":
                    c.send("220 2.0.0 Ready to start TLS\r\n")
                    log("relay")
                    relay(c.sock)
                    return
                elif verb == "STARTTLS" and not tls:
                    c.send("220 2.0.0 Ready to start TLS\r\n")
                    c.starttls()
                    tls = True
                elif verb == "NOOP":
                    c.send("250 2.0.0 OK\r\n")
                elif verb == "QUIT":
                    log("quit")
                    c.send("221 2.0.0 Bye\r\n")
                    return
                else:
                    c.send("502 5.5.2 Command not recognized\r\n")
        except (OSError, ssl.SSLError) as e:
            log("error %s" % e)


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    address_family = socket.AF_INET


if mode == "staple":
    # the handshake happens in the backend: the probe dialogue up to
    # STARTTLS stays plain
    signal.signal(signal.SIGTERM, stop_backend)
    signal.signal(signal.SIGINT, stop_backend)
    start_backend(sys.argv[5])
Server(("127.0.0.1", port), Handler).serve_forever()
