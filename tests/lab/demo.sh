#!/bin/sh
# demo.sh - start the lab (pebble + challtestsrv on loopback), issue a
# certificate for mx.example.test with http-01, list it, show and verify the
# chain, stop the lab. State goes to $O/demo-state (wiped at start).
set -eu
LAB_SRC=${LAB_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
O=${O:-$LAB_SRC/build}
CERTD=${CERTD:-$O/certd/certd}
# shellcheck disable=SC1091
. "$LAB_SRC/tests/lab/lab.sh"

step() {
	printf '\n== %s\n' "$*"
}

[ -x "$CERTD" ] || lab_die "$CERTD not built (run make)"
lab_init
lab_trap
LAB_STATE="$O/demo-state"
rm -rf "$LAB_STATE"

step "Starting pebble (test ACME CA) and challtestsrv on 127.0.0.1"
lab_start 2>&1
echo "ACME directory: $LAB_DIR_URL"
lab_root 0 >"$LAB_TMP/root.pem"

step "Issuing mx.example.test (http-01 on 127.0.0.1:$LAB_HTTP_PORT)"
echo "\$ certd --state-dir $LAB_STATE --server $LAB_DIR_URL issue -d mx.example.test"
lab_certd issue --challenge http-01 --http-addr 127.0.0.1 \
    --http-port "$LAB_HTTP_PORT" -d mx.example.test

step "certd list"
lab_certd list

cur="$LAB_STATE/certs/mx.example.test/current"
step "Files in $cur"
ls -l "$cur/"

step "Certificates in fullchain.pem"
awk -v d="$LAB_TMP" '/-----BEGIN CERTIFICATE/{n++} n{print > (d "/fc" n ".pem")}' \
    "$cur/fullchain.pem"
i=1
while [ -f "$LAB_TMP/fc$i.pem" ]; do
	echo "[$i]"
	openssl x509 -in "$LAB_TMP/fc$i.pem" -noout -subject -issuer -dates |
	    sed 's/^/    /'
	i=$((i + 1))
done

step "certd renew (a fresh certificate is not due)"
lab_certd renew

step "certd tlsa --name mx.example.test (DANE records of its key)"
lab_certd tlsa --name mx.example.test

step "certd check of the new certificate (Pebble puts no CRL/OCSP URL in it)"
lab_certd check --cert "$cur/cert.pem" --chain "$cur/chain.pem" \
    --ca-file "$LAB_TMP/root.pem" || echo "(exit $?: 2 means unknown)"

step "Verifying against pebble's root ($(openssl x509 -in "$LAB_TMP/root.pem" -noout -subject | sed 's/^subject= *//'))"
openssl verify -CAfile "$LAB_TMP/root.pem" -untrusted "$cur/chain.pem" \
    "$cur/cert.pem"

step "Stopping the lab"
lab_stop
echo "demo: ok (state kept in $LAB_STATE)"
