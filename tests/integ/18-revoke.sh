#!/bin/sh
# 18-revoke - issue, then certd revoke --name N --reason keyCompromise; pebble
# reports the serial as Revoked with reason 1. Revoking an unknown name is 66.
set -eu
LAB_SRC=${LAB_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
CERTD=${CERTD:-$LAB_SRC/build/certd/certd}
# shellcheck disable=SC1091
. "$LAB_SRC/tests/lab/lab.sh"
lab_init
lab_trap
lab_start

status() {
	lab_cert_status "$1" >"$LAB_TMP/status.json"
	"$LAB_PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(d.get("Status"), d.get("Reason", ""))
' "$LAB_TMP/status.json"
}

lab_expect 0 issue lab_certd issue --challenge http-01 \
    --http-addr 127.0.0.1 --http-port "$LAB_HTTP_PORT" \
    --name rev -d rev.example.test
serial=$(lab_serial "$LAB_STATE/certs/rev/current/cert.pem")
st=$(status "$serial")
echo "before: $serial $st"
case $st in
Valid*) ;;
*) lab_die "fresh certificate has status '$st'" ;;
esac

lab_expect 0 revoke lab_certd revoke --name rev --reason keyCompromise
cat "$LAB_TMP/revoke.out" "$LAB_TMP/revoke.err"
st=$(status "$serial")
echo "after: $serial $st"
case $st in
"Revoked 1" | "Revoked ") ;;
*) lab_die "after revoke: status '$st', want 'Revoked 1'" ;;
esac

# a second certificate revoked without a reason
lab_expect 0 issue2 lab_certd issue --challenge http-01 \
    --http-addr 127.0.0.1 --http-port "$LAB_HTTP_PORT" \
    --name rev2 -d rev2.example.test
serial2=$(lab_serial "$LAB_STATE/certs/rev2/current/cert.pem")
lab_expect 0 revoke2 lab_certd revoke --name rev2
st=$(status "$serial2")
case $st in
Revoked*) ;;
*) lab_die "rev2: status '$st', want Revoked" ;;
esac

# revoking what is already revoked is refused by the server
lab_expect 1 again lab_certd revoke --name rev --reason keyCompromise
lab_one_error_line again
# unknown certificate name; bad reason
lab_snapshot "$LAB_STATE" "$LAB_TMP/snap0"
lab_expect 66 nosuch lab_certd revoke --name nosuch
lab_one_error_line nosuch
lab_expect 64 badreason lab_certd revoke --name rev2 --reason notAReason
lab_one_error_line badreason
lab_snapshot "$LAB_STATE" "$LAB_TMP/snap1"
lab_same_snapshot "$LAB_TMP/snap0" "$LAB_TMP/snap1" "failed revokes"
echo "18-revoke: ok"
