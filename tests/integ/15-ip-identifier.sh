#!/bin/sh
# 15-ip-identifier - an IP address identifier (RFC 8738) with http-01: the
# certificate carries SAN IP:127.0.0.1 and no DNS name.
set -eu
LAB_SRC=${LAB_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
CERTD=${CERTD:-$LAB_SRC/build/certd/certd}
# shellcheck disable=SC1091
. "$LAB_SRC/tests/lab/lab.sh"
lab_init
lab_trap
lab_start
lab_root 0 >"$LAB_TMP/root.pem"

lab_expect 0 issue lab_certd issue --challenge http-01 \
    --http-addr 127.0.0.1 --http-port "$LAB_HTTP_PORT" -d 127.0.0.1
cat "$LAB_TMP/issue.out"
grep -q '^certd: 127.0.0.1: issued, serial ' "$LAB_TMP/issue.out" ||
    lab_die "no 'issued' line"
cur="$LAB_STATE/certs/127.0.0.1/current"
lab_check_cert "$cur" "$LAB_TMP/root.pem"
lab_has_san "$cur/cert.pem" "IP Address:127.0.0.1"
san=$(openssl x509 -in "$cur/cert.pem" -noout -ext subjectAltName)
if echo "$san" | grep -q 'DNS:'; then
	lab_die "unexpected DNS SAN: $san"
fi
openssl verify -CAfile "$LAB_TMP/root.pem" -untrusted "$cur/chain.pem" \
    -verify_ip 127.0.0.1 "$cur/cert.pem" || lab_die "verify_ip failed"
echo "15-ip-identifier: ok"
