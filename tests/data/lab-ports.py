#!/usr/bin/env python3
# lab-ports.py N - print N distinct free ports on 127.0.0.1, free for both
# TCP and UDP (the DNS port needs both). Sockets are held until all are
# picked so the ports are distinct; loopback only.
import socket
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1
held = []
ports = []
tries = 0
while len(ports) < n:
    tries += 1
    if tries > 1000:
        sys.exit("lab-ports: no free ports")
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.bind(("127.0.0.1", 0))
    port = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", port))
    except OSError:
        t.close()
        u.close()
        continue
    held += [t, u]
    ports.append(port)
print(" ".join(str(p) for p in ports))
for s in held:
    s.close()
