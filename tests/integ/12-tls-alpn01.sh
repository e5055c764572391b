#!/bin/sh
# 12-tls-alpn01 - issue with tls-alpn-01 (RFC 8737) served by certd on
# 127.0.0.1 at pebble's tlsPort.
set -eu
LAB_SRC=${LAB_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
CERTD=${CERTD:-$LAB_SRC/build/certd/certd}
# shellcheck disable=SC1091
. "$LAB_SRC/tests/lab/lab.sh"
lab_init
lab_trap
lab_start
lab_root 0 >"$LAB_TMP/root.pem"

lab_expect 0 issue lab_certd issue --challenge tls-alpn-01 \
    --tls-addr 127.0.0.1 --tls-port "$LAB_TLS_PORT" \
    -d alpn.example.test -d smtp.example.test
cat "$LAB_TMP/issue.out"
grep -q '^certd: alpn.example.test: issued, serial ' "$LAB_TMP/issue.out" ||
    lab_die "no 'issued' line"
cur="$LAB_STATE/certs/alpn.example.test/current"
lab_check_cert "$cur" "$LAB_TMP/root.pem"
lab_has_san "$cur/cert.pem" DNS:alpn.example.test
lab_has_san "$cur/cert.pem" DNS:smtp.example.test
if ss -Hltn "sport = :$LAB_TLS_PORT" | grep -q .; then
	lab_die "something still listens on $LAB_TLS_PORT"
fi
echo "12-tls-alpn01: ok"
