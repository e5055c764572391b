#!/bin/sh
# 17-alternate-chain - pebble offers alternate chains (PEBBLE_ALTERNATE_ROOTS);
# --preferred-chain ROOT_CN picks the chain that ends at that root, and
# without it certd keeps the default chain (roots/0).
set -eu
LAB_SRC=${LAB_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
CERTD=${CERTD:-$LAB_SRC/build/certd/certd}
# shellcheck disable=SC1091
. "$LAB_SRC/tests/lab/lab.sh"
lab_init
lab_trap
lab_start altroots=2
lab_root 0 >"$LAB_TMP/root0.pem"
lab_root 1 >"$LAB_TMP/root1.pem"
lab_root 2 >"$LAB_TMP/root2.pem"
cn() {
	openssl x509 -in "$1" -noout -subject -nameopt RFC2253 |
	    sed 's/^subject=//; s/.*CN=//; s/,.*//'
}
cn0=$(cn "$LAB_TMP/root0.pem")
cn1=$(cn "$LAB_TMP/root1.pem")
echo "default root: $cn0; alternate: $cn1"
{ [ -n "$cn1" ] && [ "$cn0" != "$cn1" ]; } || lab_die "no distinct alternate root"

# issue LABEL ARGS...
issue() {
	_l=$1
	shift
	lab_expect 0 "$_l" lab_certd issue --challenge http-01 \
	    --http-addr 127.0.0.1 --http-port "$LAB_HTTP_PORT" "$@"
}
# top issuer of chain.pem: the issuer of its last certificate
top_issuer() {
	awk '/-----BEGIN/{n++} {print > (d "/c" n ".pem")}' d="$LAB_TMP" "$1"
	last=$(grep -c -- '-----BEGIN CERTIFICATE' "$1")
	openssl x509 -in "$LAB_TMP/c$last.pem" -noout -issuer -nameopt RFC2253 |
	    sed 's/^issuer=//; s/.*CN=//; s/,.*//'
}

issue alt --name alt -d alt.example.test --preferred-chain "$cn1"
cur="$LAB_STATE/certs/alt/current"
lab_check_cert "$cur" "$LAB_TMP/root1.pem"
top=$(top_issuer "$cur/chain.pem")
[ "$top" = "$cn1" ] || lab_die "preferred chain ends at '$top', want '$cn1'"
if openssl verify -CAfile "$LAB_TMP/root0.pem" -untrusted "$cur/chain.pem" \
    "$cur/cert.pem" >/dev/null 2>&1; then
	lab_die "preferred chain also verifies against the default root"
fi

issue def --name def -d def.example.test
cur="$LAB_STATE/certs/def/current"
lab_check_cert "$cur" "$LAB_TMP/root0.pem"
top=$(top_issuer "$cur/chain.pem")
[ "$top" = "$cn0" ] || lab_die "default chain ends at '$top', want '$cn0'"

# a preferred chain no one offers falls back to the default chain
issue none --name none -d none.example.test --preferred-chain "No Such Root"
lab_check_cert "$LAB_STATE/certs/none/current" "$LAB_TMP/root0.pem"
echo "17-alternate-chain: ok"
