#!/bin/sh
# 53-renew-dry-run - `certd renew --dry-run` runs the whole ACME exchange
# for every certificate (due or not, declared or issued) and leaves the
# state directory byte for byte unchanged: no version, no renewal state,
# no account, no revocation cache. A failing dry run exits 3, unchanged.
set -eu
LAB_SRC=${LAB_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
CERTD=${CERTD:-$LAB_SRC/build/certd/certd}
# shellcheck disable=SC1091
. "$LAB_SRC/tests/lab/lab.sh"
lab_init
lab_trap
lab_start

lab_expect 0 issue lab_certd issue --challenge http-01 \
    --http-addr 127.0.0.1 --http-port "$LAB_HTTP_PORT" -d a.example.test
cat >"$LAB_CONF" <<EOF2
[cert new.example.test]
domain = new.example.test
challenge = http-01
http_addr = 127.0.0.1
http_port = $LAB_HTTP_PORT
EOF2
cur="$LAB_STATE/certs/a.example.test/current"
lab_snapshot "$LAB_STATE" "$LAB_TMP/snap0"

lab_expect 0 dry lab_certd renew --dry-run
cat "$LAB_TMP/dry.out"
grep -q '^certd: a\.example\.test: dry run ok, serial [0-9a-f]*, not stored (not due: renews in [0-9]* days)$' \
    "$LAB_TMP/dry.out" || lab_die "dry: a"
grep -q '^certd: new\.example\.test: dry run ok, serial [0-9a-f]*, not stored (due: new)$' \
    "$LAB_TMP/dry.out" || lab_die "dry: new"
lab_snapshot "$LAB_STATE" "$LAB_TMP/snap1"
lab_same_snapshot "$LAB_TMP/snap0" "$LAB_TMP/snap1" "dry run"
# the CA really issued: the serial printed is a certificate pebble knows
s=$(sed -n 's/^certd: a\.example\.test: dry run ok, serial \([0-9a-f]*\),.*/\1/p' \
    "$LAB_TMP/dry.out" | sed 's/^0*//')
lab_cert_status "$s" >/dev/null || lab_die "pebble does not know serial $s"

# due by lifetime: still nothing stored
na=$(date -d "$(openssl x509 -in "$cur/cert.pem" -noout -enddate |
    cut -d= -f2)" +%s)
CERTD_FAKE_NOW=$((na - 86400)) lab_expect 0 due lab_certd renew --dry-run \
    --name a.example.test
grep -q 'dry run ok, .*(due: lifetime)' "$LAB_TMP/due.out" ||
    lab_die "due: expected a dry run of a due certificate"
lab_snapshot "$LAB_STATE" "$LAB_TMP/snap2"
lab_same_snapshot "$LAB_TMP/snap0" "$LAB_TMP/snap2" "dry run (due)"

# with another server (no account there yet): registered, deactivated,
# and still nothing stored
lab_expect 0 fresh "$CERTD" --config "$LAB_CONF" --state-dir "$LAB_STATE" \
    --server "$(printf '%s' "$LAB_DIR_URL" | sed 's|/dir$|/dir?x=1|')" \
    --ca-bundle "$LAB_CA" --agree-tos renew --dry-run --name a.example.test
lab_snapshot "$LAB_STATE" "$LAB_TMP/snap3"
lab_same_snapshot "$LAB_TMP/snap0" "$LAB_TMP/snap3" "dry run (new account)"

# failing: exit 3, unchanged
# shellcheck disable=SC2154
lab_kill "$LAB_PID_pebble"
lab_expect 3 fail lab_certd --timeout 5 renew --dry-run
grep -q '^certd: a\.example\.test: dry run failed: ' "$LAB_TMP/fail.out" ||
    lab_die "fail: expected 'dry run failed'"
lab_snapshot "$LAB_STATE" "$LAB_TMP/snap4"
lab_same_snapshot "$LAB_TMP/snap0" "$LAB_TMP/snap4" "failed dry run"
echo "53-renew-dry-run: ok"
