#!/bin/sh
# 50-renew-lifetime - `certd renew` against pebble (no ARI there): a fresh
# certificate is not due; with the clock (CERTD_FAKE_NOW) past 2/3 of its
# lifetime it is renewed into v0002; --force renews at once; a [cert NAME]
# section of certd.conf is issued when missing and re-issued when its
# names change; usage and config errors exit 64 and 78.
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
    --http-addr 127.0.0.1 --http-port "$LAB_HTTP_PORT" -d a.example.test
cur="$LAB_STATE/certs/a.example.test/current"
[ "$(readlink "$cur")" = v0001 ] || lab_die "issue did not make v0001"

# fresh: not due, exit 0, one line, nothing renewed
lab_expect 0 fresh lab_certd renew
cat "$LAB_TMP/fresh.out"
grep -q '^certd: a\.example\.test: not due (renews in [0-9]* days)$' \
    "$LAB_TMP/fresh.out" || lab_die "fresh: expected 'not due'"
[ "$(readlink "$cur")" = v0001 ] || lab_die "fresh: renewed anyway"
# the CA has no renewalInfo: recorded, so the next runs do not ask again
grep -qx 'ari=no' "$LAB_STATE/certs/a.example.test/renewal" ||
    lab_die "renewal state does not record ari=no"

# past 2/3 of the lifetime (pebble: 5 years)
nb=$(date -d "$(openssl x509 -in "$cur/cert.pem" -noout -startdate |
    cut -d= -f2)" +%s)
na=$(date -d "$(openssl x509 -in "$cur/cert.pem" -noout -enddate |
    cut -d= -f2)" +%s)
early=$((nb + (na - nb) * 6 / 10))
late=$((nb + (na - nb) * 7 / 10))
CERTD_FAKE_NOW=$early lab_expect 0 early lab_certd renew
grep -q 'a\.example\.test: not due' "$LAB_TMP/early.out" ||
    lab_die "at 60% of the lifetime it must not be due"
old=$(lab_serial "$cur/cert.pem")
CERTD_FAKE_NOW=$late lab_expect 0 late lab_certd renew
cat "$LAB_TMP/late.out"
grep -q '^certd: a\.example\.test: renewed (lifetime), v0002, serial [0-9a-f:]*, expires [0-9-]*$' \
    "$LAB_TMP/late.out" || lab_die "late: expected 'renewed (lifetime), v0002'"
[ "$(readlink "$cur")" = v0002 ] || lab_die "current is not v0002"
new=$(lab_serial "$cur/cert.pem")
[ "$old" != "$new" ] || lab_die "the serial did not change"
lab_check_cert "$cur" "$LAB_TMP/root.pem"
grep -qx 'failures=0' "$LAB_STATE/certs/a.example.test/renewal" ||
    lab_die "state after success"

# real time again: the new certificate is not due
lab_expect 0 again lab_certd renew
grep -q 'a\.example\.test: not due' "$LAB_TMP/again.out" ||
    lab_die "the renewed certificate is due at once"

# --force
lab_expect 0 force lab_certd renew --force --name a.example.test
grep -q '^certd: a\.example\.test: renewed (forced), v0003' \
    "$LAB_TMP/force.out" || lab_die "--force did not renew"

# a [cert NAME] section: issued when missing
cat >"$LAB_CONF" <<EOF2
[cert b.example.test]
domain = b.example.test
domain = c.example.test
challenge = http-01
http_addr = 127.0.0.1
http_port = $LAB_HTTP_PORT
renew_before = 30d
EOF2
lab_expect 0 section lab_certd renew
cat "$LAB_TMP/section.out"
grep -q '^certd: b\.example\.test: renewed (new), v0001' \
    "$LAB_TMP/section.out" || lab_die "section: not issued"
grep -q '^certd: a\.example\.test: not due' "$LAB_TMP/section.out" ||
    lab_die "section: the other certificate is missing from the output"
b="$LAB_STATE/certs/b.example.test/current"
lab_check_cert "$b" "$LAB_TMP/root.pem"
lab_has_san "$b/cert.pem" DNS:c.example.test
lab_expect 0 section2 lab_certd renew --name b.example.test
grep -q 'b\.example\.test: not due' "$LAB_TMP/section2.out" ||
    lab_die "section: due again at once"
[ "$(wc -l <"$LAB_TMP/section2.out")" -eq 1 ] ||
    lab_die "--name: more than one certificate"

# names in the section changed: re-issued at once
printf 'domain = d.example.test\n' >>"$LAB_CONF"
lab_expect 0 changed lab_certd renew --name b.example.test
grep -q '^certd: b\.example\.test: renewed (config changed), v0002' \
    "$LAB_TMP/changed.out" || lab_die "changed names: not re-issued"
lab_has_san "$b/cert.pem" DNS:d.example.test
# key type changed
printf 'key_type = ecdsa-p384\n' >>"$LAB_CONF"
lab_expect 0 changed2 lab_certd renew --name b.example.test
grep -q 'renewed (config changed), v0003' "$LAB_TMP/changed2.out" ||
    lab_die "changed key type: not re-issued"
openssl x509 -in "$b/cert.pem" -noout -text | grep -q 'NIST CURVE: P-384' ||
    lab_die "key type not applied"

# usage and configuration errors
lab_expect 64 noname lab_certd renew --name nosuch.example.test
lab_one_error_line noname
lab_expect 64 badarg lab_certd renew extra
lab_expect 64 badflag lab_certd renew --reason x
printf '[cert x.example.test]\nflavour = mint\n' >>"$LAB_CONF"
lab_expect 78 badconf lab_certd renew
lab_one_error_line badconf
printf '[cert bad/name]\ndomain = x.example.test\n' >"$LAB_CONF"
lab_expect 78 badconf2 lab_certd renew
printf '[cert x.example.test]\nrenew_before = soon\n' >"$LAB_CONF"
lab_expect 78 badconf3 lab_certd renew
echo "50-renew-lifetime: ok"
