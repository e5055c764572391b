#!/bin/sh
# run.sh [SECONDS] - runs every libFuzzer binary $FUZZ_O/fuzz_* (built by
# `make fuzz`) for SECONDS each (default 30), with a corpus directory
# $FUZZ_O/corpus/<name> seeded from tests/data/acme/ (JSON) or with
# inputs made at run time (CRL, certificates, SMTP replies).
# Crash inputs land in $FUZZ_O/crash-<name>-*. Fails if any fuzzer fails.
set -eu

secs=${1:-30}
FUZZ_O=${FUZZ_O:-build-fuzz}
top=$(cd "$(dirname "$0")/../.." && pwd)
seeds=$top/tests/data/acme

case $secs in
''|*[!0-9]*) echo "fuzz: bad number of seconds: $secs" >&2; exit 64 ;;
esac

# A CA, a certificate and a CRL made now with the openssl CLI: seeds for
# the DER/PEM parsers (never committed blobs, STYLE.md §7)
pki_seeds() {
	d=$(mktemp -d)
	if openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -nodes -keyout "$d/ca.key" -out "$d/ca.pem" -days 30 \
	    -subj /CN=fuzz-ca >/dev/null 2>&1; then
		printf 'database = %s/index\ndefault_md = sha256\n' "$d" \
		    >"$d/ca.cnf"
		: >"$d/index"
		openssl ca -config "$d/ca.cnf" -gencrl -keyfile "$d/ca.key" \
		    -cert "$d/ca.pem" -crldays 7 -out "$d/crl.pem" \
		    >/dev/null 2>&1 &&
		    openssl crl -in "$d/crl.pem" -outform DER \
		    -out "$1/crl.der" >/dev/null 2>&1
		cp "$d/crl.pem" "$d/ca.pem" "$1/" 2>/dev/null || true
		openssl x509 -in "$d/ca.pem" -outform DER -out "$1/ca.der" \
		    >/dev/null 2>&1 || true
	fi
	rm -rf "$d"
}

pass=0
fail=0
failed=
for bin in "$FUZZ_O"/fuzz_*; do
	if [ ! -f "$bin" ] || [ ! -x "$bin" ]; then
		continue
	fi
	name=$(basename "$bin")
	corpus=$FUZZ_O/corpus/$name
	log=$FUZZ_O/log-$name.txt
	mkdir -p "$corpus"
	case $name in
	fuzz_crl|fuzz_chain) pki_seeds "$corpus" ;;
	fuzz_http)
		# first byte: split point and HEAD bit; then a server's bytes
		printf '\100HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok' \
		    >"$corpus/cl"
		{ printf '\020HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\n'
		  printf 'Content-Type: application/json; charset=utf-8\r\n'
		  printf 'Location: https://ca.test/o/1\r\nReplay-Nonce: abc\r\n'
		  printf 'Retry-After: 3\r\nLink: <https://ca.test/d>;rel="index"\r\n'
		  printf 'Transfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n'
		  printf '0\r\nX-T: 1\r\n\r\n'; } >"$corpus/chunked"
		printf '\377HTTP/1.0 200 OK\nContent-Length: 9\n\n' \
		    >"$corpus/head"
		printf '\001HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nto eof' \
		    >"$corpus/eof"
		printf 'https://[::1]:8443/a?b=c#d' >"$corpus/url" ;;
	fuzz_probe) printf '220 mx.example.org ESMTP\r\n' >"$corpus/banner"
		printf '250-mx\r\n250-PIPELINING\r\n250 STARTTLS\r\n' \
		    >"$corpus/ehlo" ;;
	esac
	if [ "$name" = fuzz_acme_json ] && [ -d "$seeds" ]; then
		for s in "$seeds"/*; do
			if [ -f "$s" ]; then
				cp "$s" "$corpus/"
			fi
		done
	fi
	if "$bin" -max_total_time="$secs" -timeout=10 -print_final_stats=1 \
	    -artifact_prefix="$FUZZ_O/crash-$name-" "$corpus" >"$log" 2>&1
	then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		failed="$failed $name"
		echo "fuzz: $name failed; last lines of $log:" >&2
		tail -n 30 "$log" >&2
	fi
done

if [ $((pass + fail)) -eq 0 ]; then
	echo "fuzz: no fuzzers in $FUZZ_O (run make fuzz)" >&2
	exit 1
fi
echo "fuzz: $pass passed, $fail failed (${secs}s each)${failed:+:$failed}"
[ "$fail" -eq 0 ]
