#!/bin/sh
# 16-eab - a CA that requires External Account Binding: without --eab-* the
# registration fails (1 or 78) naming externalAccountRequired, a wrong MAC key
# is refused, and with the right kid/key issuing works.
set -eu
LAB_SRC=${LAB_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
CERTD=${CERTD:-$LAB_SRC/build/certd/certd}
# shellcheck disable=SC1091
. "$LAB_SRC/tests/lab/lab.sh"
lab_init
lab_trap
lab_start eab
lab_root 0 >"$LAB_TMP/root.pem"

issue() {
	lab_certd "$@" issue --challenge http-01 --http-addr 127.0.0.1 \
	    --http-port "$LAB_HTTP_PORT" -d eab.example.test
}
lab_snapshot "$LAB_STATE" "$LAB_TMP/snap0"
lab_expect '1|78' noeab issue
cat "$LAB_TMP/noeab.err"
lab_one_error_line noeab
grep -qi 'externalAccountRequired' "$LAB_TMP/noeab.err" ||
    lab_die "the message does not name externalAccountRequired"
lab_snapshot "$LAB_STATE" "$LAB_TMP/snap1"
lab_same_snapshot "$LAB_TMP/snap0" "$LAB_TMP/snap1" "without EAB"

# a wrong MAC key (right kid) is refused by the server
badkey=$(openssl rand 48 | base64 | tr '+/' '-_' | tr -d '=\n')
lab_expect 1 badeab issue --eab-kid "$LAB_EAB_KID" --eab-key "$badkey"
cat "$LAB_TMP/badeab.err"
lab_one_error_line badeab
lab_snapshot "$LAB_STATE" "$LAB_TMP/snap2"
lab_same_snapshot "$LAB_TMP/snap0" "$LAB_TMP/snap2" "wrong EAB key"

lab_expect 0 eab issue --eab-kid "$LAB_EAB_KID" --eab-key "$LAB_EAB_KEY"
cat "$LAB_TMP/eab.out"
lab_check_cert "$LAB_STATE/certs/eab.example.test/current" \
    "$LAB_TMP/root.pem"
# the account exists now: a second issue needs no EAB options
lab_expect 0 again issue
lab_expect 0 show lab_certd account show
cat "$LAB_TMP/show.out"
grep -q '^status=valid$' "$LAB_TMP/show.out" || lab_die "account not valid"
echo "16-eab: ok"
