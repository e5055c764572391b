#!/usr/bin/env python3
"""tlsa-dns.py - a tiny authoritative DNS responder for the DANE tests.

Serves TLSA records over UDP on 127.0.0.1:PORT from a zone file that is
read again for every query, so a test changes what DNS says by rewriting
the file. It also takes RFC 2136 UPDATE messages (unsigned: no TSIG) for
TLSA records under the zone ZONE (add, delete one record, delete the
RRset) and writes them to the file, so hooks/tlsa-nsupdate can be tested
with the real nsupdate. Lines (blank lines and '#' comments are kept but
ignored):

    OWNER [TTL] IN TLSA USAGE SELECTOR MTYPE HEX   e.g. `certd tlsa` output
    ttl N                                          default TTL (300)
    servfail                                       answer SERVFAIL to all

A name without records is NXDOMAIN, a known name asked for another type
NODATA. Every query is logged to stderr. Loopback only; stdlib only.

usage: tlsa-dns.py ZONEFILE PORT [ZONE]
"""
import os
import socket
import struct
import sys

TLSA = 52
ANY = 255
NONE = 254
OP_UPDATE = 5


def load(path):
    """{owner: [(ttl, rdata)]}, servfail flag"""
    recs = {}
    servfail = False
    ttl_default = 300
    try:
        with open(path, encoding="ascii") as f:
            lines = f.read().splitlines()
    except OSError:
        lines = []
    for line in lines:
        w = line.split()
        if not w or w[0].startswith("#"):
            continue
        if w[0] == "servfail":
            servfail = True
            continue
        if w[0] == "ttl" and len(w) == 2:
            ttl_default = int(w[1])
            continue
        owner = w[0].lower().rstrip(".")
        rest = w[1:]
        ttl = ttl_default
        if rest and rest[0].isdigit():
            ttl = int(rest[0])
            rest = rest[1:]
        if len(rest) != 6 or rest[0].upper() != "IN" or \
                rest[1].upper() != "TLSA":
            print("tlsa-dns: bad line: %r" % line, file=sys.stderr)
            continue
        rdata = bytes([int(rest[2]), int(rest[3]), int(rest[4])]) + \
            bytes.fromhex(rest[5])
        recs.setdefault(owner, []).append((ttl, rdata))
    return recs, servfail


def qname(msg, off):
    """a name (compression allowed) and the offset after it"""
    labels = []
    end = None
    jumps = 0
    while True:
        if off >= len(msg):
            raise ValueError("short name")
        n = msg[off]
        if n & 0xc0 == 0xc0:
            if off + 1 >= len(msg) or jumps > 20:
                raise ValueError("bad pointer")
            if end is None:
                end = off + 2
            off = ((n & 0x3f) << 8) | msg[off + 1]
            jumps += 1
            continue
        off += 1
        if n == 0:
            break
        if n > 63:
            raise ValueError("bad label")
        labels.append(msg[off:off + n].decode("ascii", "replace"))
        off += n
    return ".".join(labels).lower(), end if end is not None else off


def rr_at(msg, off):
    """(name, type, class, ttl, rdata), next offset"""
    name, off = qname(msg, off)
    if off + 10 > len(msg):
        raise ValueError("short record")
    rtype, rclass, ttl, rdlen = struct.unpack(">HHIH", msg[off:off + 10])
    off += 10
    if off + rdlen > len(msg):
        raise ValueError("short rdata")
    return (name, rtype, rclass, ttl, msg[off:off + rdlen]), off + rdlen


def save(path, recs):
    """rewrites the record lines of path (other lines are kept)"""
    keep = []
    try:
        with open(path, encoding="ascii") as f:
            for line in f.read().splitlines():
                w = line.split()
                if not w or w[0].startswith("#") or w[0] in ("ttl",
                                                            "servfail"):
                    keep.append(line)
    except OSError:
        pass
    for owner in sorted(recs):
        for ttl, rdata in recs[owner]:
            keep.append("%s. %d IN TLSA %d %d %d %s" %
                        (owner, ttl, rdata[0], rdata[1], rdata[2],
                         rdata[3:].hex()))
    tmp = path + ".new"
    with open(tmp, "w", encoding="ascii") as f:
        f.write("\n".join(keep) + "\n")
    os.replace(tmp, path)


def update(msg, path, zone):
    """an RFC 2136 UPDATE: the response"""
    qid, flags, zocount, prcount, upcount, _ = struct.unpack(">HHHHHH",
                                                             msg[:12])
    if zocount != 1:
        return None
    zname, off = qname(msg, 12)
    zsection = msg[12:off + 4]
    off += 4
    rcode = 0
    if zone is None or zname != zone:
        rcode = 9                       # NOTAUTH
    for _ in range(prcount):            # prerequisites are not checked
        _, off = rr_at(msg, off)
    recs, _ = load(path)
    for _ in range(upcount):
        (name, rtype, rclass, ttl, rdata), off = rr_at(msg, off)
        if rcode:
            break
        if name != zone and not name.endswith("." + zone):
            rcode = 10                  # NOTZONE
            break
        if rtype not in (TLSA, ANY):
            rcode = 4                   # NOTIMP: TLSA only
            break
        have = recs.setdefault(name, [])
        if rclass == 1 and rtype == TLSA:
            if all(r != rdata for _, r in have):
                have.append((ttl, rdata))
        elif rclass == NONE:
            have[:] = [(t, r) for t, r in have if r != rdata]
        elif rclass == ANY:
            have[:] = []
        if not have:
            del recs[name]
    if rcode == 0:
        save(path, recs)
    print("tlsa-dns: update of %s -> rcode %d" % (zname, rcode),
          file=sys.stderr, flush=True)
    return struct.pack(">HHHHHH", qid, 0x8000 | (OP_UPDATE << 11) | rcode,
                       1, 0, 0, 0) + zsection


def answer(msg, path, zone):
    if len(msg) < 12:
        return None
    qid, flags, qd = struct.unpack(">HHH", msg[:6])
    if flags & 0x8000:
        return None
    if (flags >> 11) & 0xf == OP_UPDATE:
        return update(msg, path, zone)
    if qd != 1:
        return None
    name, off = qname(msg, 12)
    if off + 4 > len(msg):
        return None
    qtype, qclass = struct.unpack(">HH", msg[off:off + 4])
    question = msg[12:off + 4]
    recs, servfail = load(path)
    rd = flags & 0x0100
    rcode = 0
    ans = []
    if servfail:
        rcode = 2
    elif name not in recs:
        rcode = 3
    elif qtype in (TLSA, ANY) and qclass == 1:
        ans = recs[name]
    print("tlsa-dns: %s type %d -> rcode %d, %d records" %
          (name, qtype, rcode, len(ans)), file=sys.stderr, flush=True)
    out = struct.pack(">HHHHHH", qid, 0x8400 | rd | rcode, 1, len(ans),
                      0, 0) + question
    for ttl, rdata in ans:
        out += struct.pack(">HHHIH", 0xc00c, TLSA, 1, ttl, len(rdata))
        out += rdata
    return out


def main():
    if len(sys.argv) not in (3, 4):
        print(__doc__.splitlines()[-1], file=sys.stderr)
        return 2
    path, port = sys.argv[1], int(sys.argv[2])
    zone = sys.argv[3].lower().rstrip(".") if len(sys.argv) == 4 else None
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", port))
    print("tlsa-dns: listening on 127.0.0.1:%d" % port, file=sys.stderr,
          flush=True)
    while True:
        msg, peer = sock.recvfrom(4096)
        try:
            out = answer(msg, path, zone)
        except (ValueError, struct.error) as e:
            print("tlsa-dns: bad query: %s" % e, file=sys.stderr)
            continue
        if out is not None:
            sock.sendto(out, peer)


if __name__ == "__main__":
    sys.exit(main())
