#!/bin/sh
# run.sh - issue #2 benchmark: issue BENCH_N (default 10) certificates with
# certd, certbot and lego (Debian packages) against a fresh local pebble,
# 2 fresh names and a P-256 key each, http-01 standalone responder of each
# client on pebble's httpPort, accounts registered before timing. Every
# issuance is one process run timed by GNU time ('%e %U %S %M'). certd
# runs twice per round: with --ca-bundle (the lab CA) and as
# "certd-systrust" with a system-like trust store (see below). Prints a
# Markdown report and writes it to $O/bench/acme.md (raw data acme.tsv).
# Needs CERTD and O as absolute paths. Loopback only; TLS is verified.
set -eu
: "${CERTD:?CERTD must name the certd binary}"
: "${O:?O must name the build directory}"
here=$(cd "$(dirname "$0")" && pwd)
LAB_SRC=$(cd "$here/../.." && pwd)
export CERTD O LAB_SRC
N=${BENCH_N:-10}
case $N in
'' | *[!0-9]*) echo "run.sh: BENCH_N must be a number" >&2; exit 64 ;;
esac
if [ "$N" -lt 1 ] || [ "$N" -gt 500 ]; then
	echo "run.sh: BENCH_N must be 1..500" >&2
	exit 64
fi
[ -x "$CERTD" ] || { echo "run.sh: $CERTD is not executable" >&2; exit 1; }
GNUTIME=/usr/bin/time
RUN_TIMEOUT=${BENCH_RUN_TIMEOUT:-120}
for t in "$GNUTIME" certbot lego pebble pebble-challtestsrv openssl python3; do
	command -v "$t" >/dev/null 2>&1 ||
	    { echo "run.sh: $t not found (make deps-bench)" >&2; exit 1; }
done

# shellcheck source=tests/lab/lab.sh
. "$LAB_SRC/tests/lab/lab.sh"
lab_init
lab_trap
# pebble: no VA sleep, no badNonce rejection, no authz reuse (lab defaults)
lab_start

B="$LAB_TMP/bench"
mkdir -p "$B" "$O/bench"
DATA="$B/data"
: >"$DATA"
CB="$B/certbot"
LG="$B/lego"
mkdir -p "$CB/config" "$CB/work" "$CB/logs" "$LG"
# certbot (python requests) and lego trust pebble through these
REQUESTS_CA_BUNDLE=$LAB_CA
LEGO_CA_CERTIFICATES=$LAB_CA
export REQUESTS_CA_BUNDLE LEGO_CA_CERTIFICATES

# check_cert FILE NAME1 NAME2: FILE is a certificate for both names with
# a P-256 key (the first certificate in FILE is the leaf).
check_cert() {
	[ -s "$1" ] || lab_die "$1: no certificate was written"
	_san=$(openssl x509 -in "$1" -noout -ext subjectAltName) ||
	    lab_die "$1: not a certificate"
	for _n in "$2" "$3"; do
		printf '%s\n' "$_san" | tr ',' '\n' | sed 's/^[[:space:]]*//' |
		    grep -qxF "DNS:$_n" || lab_die "$1: SAN DNS:$_n missing"
	done
	openssl x509 -in "$1" -noout -text | grep -q 'NIST CURVE: P-256' ||
	    lab_die "$1: key is not P-256"
}

# timed CLIENT ROUND CMD...: run CMD under GNU time with a time limit;
# fail the bench unless it exits 0. Round 0 is the untimed warm-up.
timed() {
	_c=$1
	_r=$2
	shift 2
	_t="$B/$_c.$_r.time"
	_rc=0
	timeout -k 5 "$RUN_TIMEOUT" "$GNUTIME" -f '%e %U %S %M' -o "$_t" \
	    "$@" >"$B/$_c.$_r.out" 2>"$B/$_c.$_r.err" </dev/null || _rc=$?
	if [ "$_rc" -ne 0 ]; then
		printf -- '--- %s round %s: %s\n' "$_c" "$_r" "$*" >&2
		tail -n 15 "$B/$_c.$_r.out" "$B/$_c.$_r.err" >&2 || true
		lab_die "$_c round $_r exited with status $_rc"
	fi
	# GNU time puts the format line last (after any status notice)
	_m=$(tail -n 1 "$_t")
	case $_m in
	*[!0-9.\ ]* | '') lab_die "$_c round $_r: bad GNU time output: $_m" ;;
	esac
	[ "$_r" -eq 0 ] || printf '%s %s %s\n' "$_c" "$_r" "$_m" >>"$DATA"
}

run_certd() {
	_a="a$1.certd.bench.test"
	_b="b$1.certd.bench.test"
	timed certd "$1" "$CERTD" --config "$LAB_CONF" \
	    --state-dir "$LAB_STATE" --server "$LAB_DIR_URL" \
	    --ca-bundle "$LAB_CA" --agree-tos issue -d "$_a" -d "$_b" \
	    --http-addr 127.0.0.1 --http-port "$LAB_HTTP_PORT"
	check_cert "$LAB_STATE/certs/$_a/current/cert.pem" "$_a" "$_b"
}

# certd without --ca-bundle: the trust store is what a Debian host has
# (a copy of /etc/ssl/certs, hash links and all) plus the lab CA, read the
# way certd reads the system store (SSL_CERT_DIR; SSL_CERT_FILE unset)
run_certd_systrust() {
	_a="a$1.sys.certd.bench.test"
	_b="b$1.sys.certd.bench.test"
	timed certd-systrust "$1" env -u SSL_CERT_FILE \
	    SSL_CERT_DIR="$B/systrust" "$CERTD" --config "$LAB_CONF" \
	    --state-dir "$LAB_STATE" --server "$LAB_DIR_URL" \
	    --agree-tos issue -d "$_a" -d "$_b" \
	    --http-addr 127.0.0.1 --http-port "$LAB_HTTP_PORT"
	check_cert "$LAB_STATE/certs/$_a/current/cert.pem" "$_a" "$_b"
}

certbot_dirs() {
	echo --config-dir "$CB/config" --work-dir "$CB/work" \
	    --logs-dir "$CB/logs"
}

run_certbot() {
	_a="a$1.certbot.bench.test"
	_b="b$1.certbot.bench.test"
	# shellcheck disable=SC2046 # the dirs contain no blanks (mktemp)
	timed certbot "$1" certbot certonly --standalone \
	    --http-01-address 127.0.0.1 --http-01-port "$LAB_HTTP_PORT" \
	    --server "$LAB_DIR_URL" --non-interactive --agree-tos \
	    --register-unsafely-without-email --key-type ecdsa \
	    --elliptic-curve secp256r1 $(certbot_dirs) -d "$_a" -d "$_b"
	check_cert "$CB/config/live/$_a/cert.pem" "$_a" "$_b"
}

run_lego() {
	_a="a$1.lego.bench.test"
	_b="b$1.lego.bench.test"
	timed lego "$1" lego --server "$LAB_DIR_URL" --accept-tos \
	    --email bench@example.org --path "$LG" --key-type ec256 \
	    --http --http.port "127.0.0.1:$LAB_HTTP_PORT" \
	    --domains "$_a" --domains "$_b" run
	check_cert "$LG/certificates/$_a.crt" "$_a" "$_b"
}

case $LAB_TMP in
*[[:space:]]*) lab_die "temp dir $LAB_TMP contains blanks" ;;
esac

# Accounts first (untimed), then one untimed warm-up issuance per client
# (lego has no separate register command: its warm-up registers it).
lab_log "registering accounts"
lab_expect 0 certd-register "$CERTD" --config "$LAB_CONF" \
    --state-dir "$LAB_STATE" --server "$LAB_DIR_URL" --ca-bundle "$LAB_CA" \
    --agree-tos account register
# shellcheck disable=SC2046
lab_expect 0 certbot-register certbot register --server "$LAB_DIR_URL" \
    --non-interactive --agree-tos --register-unsafely-without-email \
    $(certbot_dirs)
mkdir -p "$B/systrust"
cp -L /etc/ssl/certs/*.pem "$B/systrust/" 2>/dev/null || true
cp "$LAB_CA" "$B/systrust/lab-ca.pem"
openssl rehash "$B/systrust" 2>/dev/null ||
    lab_die "openssl rehash failed"
lab_log "warm-up round"
run_certd 0
run_certd_systrust 0
run_certbot 0
run_lego 0

# Timed rounds, interleaved; the order rotates so that no client always
# follows the same one.
start=$(date +%s)
i=1
while [ "$i" -le "$N" ]; do
	case $((i % 3)) in
	0) set -- certd certbot lego certd_systrust ;;
	1) set -- certbot certd_systrust lego certd ;;
	*) set -- lego certd certbot certd_systrust ;;
	esac
	for c in "$@"; do
		"run_$c" "$i"
	done
	lab_log "round $i/$N done"
	i=$((i + 1))
done
elapsed=$(($(date +%s) - start))

# no timed run may have registered another account
n_acc=$(find "$LAB_STATE/accounts" -name account.key | wc -l)
[ "$n_acc" -eq 1 ] || lab_die "certd has $n_acc accounts, want 1"
n_acc=$(find "$CB/config/accounts" -name regr.json | wc -l)
[ "$n_acc" -eq 1 ] || lab_die "certbot has $n_acc accounts, want 1"
n_acc=$(find "$LG/accounts" -name account.json | wc -l)
[ "$n_acc" -eq 1 ] || lab_die "lego has $n_acc accounts, want 1"

debver() {
	dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo unknown
}
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
{
	echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -sr)," \
	    "nproc $(nproc), ${cpu:-unknown CPU}"
	echo "- N = $N certificates per client (interleaved, rotating order," \
	    "after one untimed warm-up each); timed rounds took ${elapsed} s"
	echo "- pebble $(debver pebble) on 127.0.0.1 (PEBBLE_VA_NOSLEEP=1," \
	    "PEBBLE_WFE_NONCEREJECT=0, PEBBLE_AUTHZREUSE=0)"
	echo "- clients: $("$CERTD" --version 2>&1 | head -n 1)," \
	    "certbot $(debver certbot), lego $(debver lego);" \
	    "GNU time $(debver time)"
} >"$B/facts"

cp "$DATA" "$O/bench/acme.tsv"
python3 "$here/stats.py" "$DATA" "$B/facts" "$O/bench/acme.md"
lab_log "report written to $O/bench/acme.md"
