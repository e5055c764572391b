#!/bin/sh
# crl.sh - issue #3 benchmark, CRL part. Makes, in a temp dir with the
# openssl CLI, an RSA-2048 CA and a CRL of BENCH_CRL_N (default 200000)
# revoked entries (index.txt written directly, then `openssl ca -gencrl`),
# converts it to DER, then on that same file, in one run: `openssl crl
# -inform DER -noout` (whole process, best of 5, python3 perf_counter)
# against crl_bench's first load (parse + signature + index, in process,
# best of 5) and crl_bench -q as a whole process (measured like openssl),
# 1,000,000 lookups, and index memory against the DER size. Prints a
# Markdown table and writes it to $O/bench/crl.md.
# Needs O (absolute); CRL_BENCH names crl_bench (default
# $O/tests/bench/crl_bench). No network.
set -eu
: "${O:?O must name the build directory}"
CRL_BENCH=${CRL_BENCH:-$O/tests/bench/crl_bench}
N=${BENCH_CRL_N:-200000}
case $N in
'' | *[!0-9]*) echo "crl.sh: BENCH_CRL_N must be a number" >&2; exit 64 ;;
esac
if [ "$N" -lt 1 ] || [ "$N" -gt 2000000 ]; then
	echo "crl.sh: BENCH_CRL_N must be 1..2000000" >&2
	exit 64
fi
[ -x "$CRL_BENCH" ] || { echo "crl.sh: $CRL_BENCH missing" >&2; exit 1; }
for t in openssl python3 awk; do
	command -v "$t" >/dev/null 2>&1 ||
	    { echo "crl.sh: $t not found" >&2; exit 1; }
done

T=$(mktemp -d "${TMPDIR:-/tmp}/certd-crlbench.XXXXXX")
trap 'rm -rf "$T"' EXIT
trap 'exit 130' INT TERM
mkdir -p "$O/bench"

cat >"$T/ca.cnf" <<EOF
[ ca ]
default_ca = bench
[ bench ]
database = $T/index.txt
crlnumber = $T/crlnumber
certificate = $T/ca.pem
private_key = $T/ca.key
default_md = sha256
default_crl_days = 7
crl_extensions = crl_ext
unique_subject = no
[ crl_ext ]
authorityKeyIdentifier = keyid:always
issuingDistributionPoint = critical, @idp
[ idp ]
fullname = URI:http://crl.bench.test/1.crl
EOF
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/ca.key" \
    -out "$T/ca.pem" -subj "/CN=certd bench CA" -days 30 \
    -addext keyUsage=critical,keyCertSign,cRLSign 2>"$T/req.err" ||
    { cat "$T/req.err" >&2; exit 1; }
echo 01 >"$T/crlnumber"

# N revoked entries, 18-octet random serials (Let's Encrypt's size; some
# need a sign octet in DER), revocation times in 2026, 40% without a
# reason. Fields: R, expiry, revtime[,reason], serial, file, subject.
start=$(date +%s)
awk -v n="$N" 'BEGIN {
	srand(42)
	split("keyCompromise superseded cessationOfOperation " \
	    "affiliationChanged", reason, " ")
	for (i = 0; i < n; i++) {
		s = sprintf("%02X", 1 + int(rand() * 255))
		for (j = 0; j < 17; j++)
			s = s sprintf("%02X", int(rand() * 256))
		t = sprintf("26%02d%02d%02d%02d%02dZ", 1 + int(rand() * 10),
		    1 + int(rand() * 28), int(rand() * 24), int(rand() * 60),
		    int(rand() * 60))
		x = rand()
		r = x < 0.4 ? "" : "," reason[1 + int((x - 0.4) / 0.6 * 4)]
		printf "R\t301231000000Z\t%s%s\t%s\tunknown\t/CN=x\n", t, r, s
	}
}' >"$T/index.txt"
openssl ca -gencrl -config "$T/ca.cnf" -out "$T/crl.pem" \
    >"$T/ca.out" 2>&1 || { cat "$T/ca.out" >&2; exit 1; }
openssl crl -in "$T/crl.pem" -outform DER -out "$T/crl.der"
made=$(($(date +%s) - start))

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
{
	echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -sr)," \
	    "nproc $(nproc), ${cpu:-unknown CPU}, $(openssl version)"
	echo "- CRL: $N entries, RSA-2048/SHA-256, made with openssl ca" \
	    "-gencrl in ${made} s; load average before timing:" \
	    "$(cut -d' ' -f1-3 /proc/loadavg)"
} >"$T/facts"

python3 - "$T/crl.der" "$T/ca.pem" "$CRL_BENCH" "$T/facts" \
    "$O/bench/crl.md" "$N" <<'EOF'
import subprocess, sys, time

der, ca, bench, facts, out, n = sys.argv[1:7]
ROUNDS = 5

def timed(cmd):
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0

# best of ROUNDS, interleaved so that neither side always runs on a
# warmer cache
ossl, proc = [], []
for _ in range(ROUNDS):
    ossl.append(timed(["openssl", "crl", "-inform", "DER", "-in", der,
                       "-noout"]))
    proc.append(timed([bench, "-q", der, ca]))
ossl, proc = min(ossl), min(proc)
r = subprocess.run([bench, der, ca, str(ROUNDS), "1000000"], check=True,
                   capture_output=True, text=True)
kv = dict(line.split(" ", 1) for line in r.stdout.splitlines())
if kv["entries"] != n:
    sys.exit("crl.sh: the CRL has %s entries, not %s" % (kv["entries"], n))
ms = lambda ns: float(ns) / 1e6
load = ms(kv["load_ns_best"])
d2i = ms(kv["openssl_d2i_ns_best"])
dbytes, ibytes = int(kv["der_bytes"]), int(kv["index_bytes"])
look = float(kv["lookup_ns"])
ok = lambda c: "met" if c else "**missed**"
rows = [
    ("CRL file (DER)", "%d bytes, %s entries" % (dbytes, kv["entries"]),
     "", ""),
    ("`openssl crl -inform DER -noout`, whole process", "%.1f ms" %
     (ossl * 1e3), "", ""),
    ("certd first load in process: parse + signature + index",
     "%.1f ms (parse+index %.1f, signature+window %.1f)" %
     (load, ms(kv["parse_ns_best"]), ms(kv["verify_ns_best"])), "", ""),
    ("ratio certd in process / openssl", "%.3f" % (load / (ossl * 1e3)),
     "< 1.0", ok(load < ossl * 1e3)),
    ("`crl_bench -q` (read + load), whole process", "%.1f ms" %
     (proc * 1e3), "", ""),
    ("ratio whole process / openssl", "%.3f" % (proc / ossl), "< 1.0",
     ok(proc < ossl)),
    ("for reference: OpenSSL `d2i_X509_CRL` in process", "%.1f ms" % d2i,
     "", ""),
    ("lookup, 1,000,000 random serials (half present)", "%.0f ns" % look,
     "<= 1000 ns", ok(look <= 1000)),
    ("index memory / DER size", "%d / %d bytes = %.2f" %
     (ibytes, dbytes, ibytes / dbytes), "<= 1.0", ok(ibytes <= dbytes)),
    ("cache: index blob / load time", "%s bytes / %.1f ms" %
     (kv["blob_bytes"], ms(kv["blob_load_ns_best"])), "", ""),
]
text = "## CRL benchmark (issue #3)\n\n"
text += open(facts).read()
text += "- best of %d runs each; openssl and crl_bench runs interleaved\n\n" \
    % ROUNDS
text += "| measure | value | target | |\n|---|---|---|---|\n"
for r in rows:
    text += "| %s | %s | %s | %s |\n" % r
sys.stdout.write(text)
open(out, "w").write(text)
EOF
