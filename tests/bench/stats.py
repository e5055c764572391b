#!/usr/bin/env python3
# stats.py DATA FACTS OUT - summarise tests/bench/run.sh measurements.
# DATA: one line per timed run "CLIENT ROUND WALL USER SYS MAXRSS_KIB"
# (from GNU time '%e %U %S %M'); FACTS: Markdown lines about the machine,
# copied to the top. Writes the Markdown report to OUT and to stdout: a
# table per client (medians), the certd / fastest-peer wall ratio and
# PASS/MISS against the targets of issue #2. Trusts only its own inputs.
import statistics
import sys

TARGET_RATIO = 0.2        # certd median wall <= 0.2 x fastest peer's
TARGET_CPU = 0.1          # s of user+sys per certificate (median run)
TARGET_RSS_MIB = 10.0     # peak RSS of the worst run
ORDER = ["certd", "certd-systrust", "certbot", "lego"]


def load(path):
    runs = {}
    with open(path, encoding="ascii") as f:
        for n, line in enumerate(f, 1):
            p = line.split()
            if not p:
                continue
            if len(p) != 6:
                sys.exit("stats: %s:%d: bad line %r" % (path, n, line))
            wall, user, sys_, rss = (float(p[2]), float(p[3]),
                                     float(p[4]), float(p[5]))
            runs.setdefault(p[0], []).append(
                {"wall": wall, "cpu": user + sys_, "rss": rss / 1024.0})
    return runs


def summary(rs):
    def col(k):
        return [r[k] for r in rs]
    return {
        "runs": len(rs),
        "wall": statistics.median(col("wall")),
        "wall_min": min(col("wall")),
        "wall_max": max(col("wall")),
        "cpu": statistics.median(col("cpu")),
        "cpu_max": max(col("cpu")),
        "rss": statistics.median(col("rss")),
        "rss_max": max(col("rss")),
    }


def verdict(ok):
    return "PASS" if ok else "MISS"


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: stats.py DATA FACTS OUT")
    runs = load(sys.argv[1])
    with open(sys.argv[2], encoding="utf-8") as f:
        facts = f.read().rstrip("\n")
    if "certd" not in runs:
        sys.exit("stats: no certd runs")
    peers = [c for c in runs if not c.startswith("certd")]
    if not peers:
        sys.exit("stats: no peer runs")
    clients = [c for c in ORDER if c in runs] + \
        sorted(c for c in runs if c not in ORDER)
    s = {c: summary(runs[c]) for c in clients}

    out = ["# ACME issuance benchmark (certd vs. peers)", "", facts, "",
           "| client | runs | median wall s | min-max wall s "
           "| median CPU s | max CPU s "
           "| median peak RSS MiB | max peak RSS MiB |",
           "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for c in clients:
        x = s[c]
        out.append("| %s | %d | %.2f | %.2f-%.2f | %.3f | %.3f | %.1f | %.1f |"
                   % (c, x["runs"], x["wall"], x["wall_min"], x["wall_max"],
                      x["cpu"], x["cpu_max"], x["rss"], x["rss_max"]))
    fastest = min(peers, key=lambda c: s[c]["wall"])
    cd = s["certd"]
    ratio = cd["wall"] / s[fastest]["wall"] if s[fastest]["wall"] > 0 \
        else float("inf")
    out += ["",
            "CPU = user + sys of the client process and its children; "
            "one run = one certificate with 2 names, P-256 key.",
            "",
            "| target | measured | result |",
            "|---|---|---|",
            "| certd median wall <= %.1fx fastest peer's (%s, %.2f s) "
            "| %.2f s = %.3fx | %s |"
            % (TARGET_RATIO, fastest, s[fastest]["wall"], cd["wall"], ratio,
               verdict(ratio <= TARGET_RATIO)),
            "| certd CPU <= %.1f s per certificate (median run) "
            "| %.3f s (max %.3f s) | %s |"
            % (TARGET_CPU, cd["cpu"], cd["cpu_max"],
               verdict(cd["cpu"] <= TARGET_CPU)),
            "| certd peak RSS <= %.0f MiB (worst run) | %.1f MiB | %s |"
            % (TARGET_RSS_MIB, cd["rss_max"],
               verdict(cd["rss_max"] <= TARGET_RSS_MIB))]
    if "certd-systrust" in s:
        st = s["certd-systrust"]
        out.append("| the same with the system trust store (hashed "
                   "directory, no --ca-bundle) | %.1f MiB | %s |"
                   % (st["rss_max"], verdict(st["rss_max"] <= TARGET_RSS_MIB)))
    out.append("")
    text = "\n".join(out)
    with open(sys.argv[3], "w", encoding="utf-8") as f:
        f.write(text)
    sys.stdout.write(text)
    misses = text.count("| MISS |")
    total = misses + text.count("| PASS |")
    print("bench: %d of %d targets met" % (total - misses, total))


if __name__ == "__main__":
    main()
