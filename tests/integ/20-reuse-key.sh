#!/bin/sh
# 20-reuse-key - re-issuing with --reuse-key keeps the certificate's public
# key; without it a new key is made.
set -eu
LAB_SRC=${LAB_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
CERTD=${CERTD:-$LAB_SRC/build/certd/certd}
# shellcheck disable=SC1091
. "$LAB_SRC/tests/lab/lab.sh"
lab_init
lab_trap
lab_start
lab_root 0 >"$LAB_TMP/root.pem"
cur="$LAB_STATE/certs/reuse.example.test/current"

# issue LABEL ARGS...
issue() {
	_l=$1
	shift
	lab_expect 0 "$_l" lab_certd issue --challenge http-01 \
	    --http-addr 127.0.0.1 --http-port "$LAB_HTTP_PORT" \
	    -d reuse.example.test "$@"
	lab_check_cert "$cur" "$LAB_TMP/root.pem"
}
pub() {
	openssl x509 -in "$cur/cert.pem" -noout -pubkey | sha256sum
}

issue first
k1=$(pub)
s1=$(lab_serial "$cur/cert.pem")
issue second --reuse-key
k2=$(pub)
s2=$(lab_serial "$cur/cert.pem")
[ "$s1" != "$s2" ] || lab_die "--reuse-key: no new certificate"
[ "$k1" = "$k2" ] || lab_die "--reuse-key changed the key"
issue third
k3=$(pub)
[ "$k3" != "$k2" ] || lab_die "without --reuse-key the key was kept"
echo "20-reuse-key: ok"
