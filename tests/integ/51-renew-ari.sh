#!/bin/sh
# 51-renew-ari - RFC 9773 against tests/lab/ari.py (a proxy in front of
# pebble that adds renewalInfo): the certificate identifier certd asks for,
# a window in the future holds a renewal back even when the lifetime rule
# would renew, Retry-After spaces the polls, a window in the past renews
# with "replaces" naming the old certificate, alreadyReplaced is retried
# without it, and a malformed window falls back to the lifetime rule.
set -eu
LAB_SRC=${LAB_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
CERTD=${CERTD:-$LAB_SRC/build/certd/certd}
# shellcheck disable=SC1091
. "$LAB_SRC/tests/lab/lab.sh"
lab_init
lab_trap
lab_start
lab_root 0 >"$LAB_TMP/root.pem"

CTL="$LAB_TMP/ari.json"
REQ="$LAB_TMP/ari.req"
: >"$REQ"
# window START END [RETRY_AFTER] [already_replaced]: script ari.py
window() {
	printf '{"start": %s, "end": %s%s%s}\n' "$1" "$2" \
	    "${3:+, \"retry_after\": $3}" \
	    "${4:+, \"already_replaced\": true}" >"$CTL"
}
now=$(date +%s)
window $((now + 10 * 86400)) $((now + 11 * 86400)) 3600
port=$(lab_ports 1)
lab_spawn ari "$LAB_PY" "$LAB_SRC/tests/lab/ari.py" "$LAB_TMP/tls/cert.pem" \
    "$LAB_TMP/tls/key.pem" "$port" "$LAB_DIR_URL" "$LAB_CA" "$CTL" "$REQ"
ARI_PID=${LAB_PIDS##* }
ARI_URL="https://127.0.0.1:$port/dir"
lab_wait_url ari "$ARI_PID" "$ARI_URL" --cacert "$LAB_CA" -f
lab_check_loopback "$ARI_PID"

ari_certd() {
	"$CERTD" --config "$LAB_CONF" --state-dir "$LAB_STATE" \
	    --server "$ARI_URL" --ca-bundle "$LAB_CA" --agree-tos "$@"
}
# certid CERTFILE: RFC 9773 §4.1, computed independently of certd
certid() {
	"$LAB_PY" - "$1" <<'PY'
import base64, re, subprocess, sys
t = subprocess.run(["openssl", "x509", "-in", sys.argv[1], "-noout",
                    "-text"], capture_output=True, text=True).stdout
kid = re.search(r"Authority Key Identifier:\s*\n\s*(?:keyid:)?([0-9A-F:]+)",
                t).group(1).replace(":", "")
ser = subprocess.run(["openssl", "x509", "-in", sys.argv[1], "-noout",
                      "-serial"], capture_output=True,
                     text=True).stdout.strip().split("=")[1]
ser = bytes.fromhex(ser if len(ser) % 2 == 0 else "0" + ser)
if ser[0] & 0x80:
    ser = b"\0" + ser
b = lambda x: base64.urlsafe_b64encode(x).decode().rstrip("=")
print(b(bytes.fromhex(kid)) + "." + b(ser))
PY
}

lab_expect 0 issue ari_certd issue --challenge http-01 \
    --http-addr 127.0.0.1 --http-port "$LAB_HTTP_PORT" -d a.example.test
cur="$LAB_STATE/certs/a.example.test/current"
id1=$(certid "$cur/cert.pem")
grep -qx 'order replaces=-' "$REQ" || lab_die "issue sent replaces"

# a window in 10 days: not due; certd asked for the right identifier
lab_expect 0 future ari_certd renew
cat "$LAB_TMP/future.out"
grep -q '^certd: a\.example\.test: not due (renews in 1[01] days)$' \
    "$LAB_TMP/future.out" || lab_die "future window: expected not due"
grep -qx "ari $id1" "$REQ" || { cat "$REQ" >&2; lab_die "ARI id is not $id1"; }
grep -qx 'ari=yes' "$LAB_STATE/certs/a.example.test/renewal" ||
    lab_die "state: ari=yes missing"

# Retry-After 3600: a second run within the hour does not poll
n1=$(grep -c '^ari ' "$REQ")
lab_expect 0 again ari_certd renew
n2=$(grep -c '^ari ' "$REQ")
[ "$n1" = "$n2" ] || lab_die "polled again before Retry-After"
grep -q 'not due (renews in 1[01] days)' "$LAB_TMP/again.out" ||
    lab_die "again: the stored ARI time was not used"

# the lifetime rule would renew (70% of 5 years), but ARI says later:
# ARI decides. The poll is due again (past Retry-After).
nb=$(date -d "$(openssl x509 -in "$cur/cert.pem" -noout -startdate |
    cut -d= -f2)" +%s)
na=$(date -d "$(openssl x509 -in "$cur/cert.pem" -noout -enddate |
    cut -d= -f2)" +%s)
late=$((nb + (na - nb) * 7 / 10))
window $((late + 5 * 86400)) $((late + 6 * 86400)) 3600
CERTD_FAKE_NOW=$late lab_expect 0 late ari_certd renew
cat "$LAB_TMP/late.out"
n3=$(grep -c '^ari ' "$REQ")
[ "$n3" -gt "$n2" ] || lab_die "no poll after Retry-After passed"
grep -q 'a\.example\.test: not due (renews in [56] days)' \
    "$LAB_TMP/late.out" || lab_die "ARI did not hold the renewal back"
[ "$(readlink "$cur")" = v0001 ] || lab_die "renewed despite ARI"

# a window that ended in the past: due at once, with replaces = id1
window $((now - 7200)) $((now - 3600)) 60
lab_expect 0 past ari_certd renew --force
grep -q 'renewed (forced)' "$LAB_TMP/past.out" || lab_die "--force failed"
grep -qx "order replaces=$id1" "$REQ" || {
	cat "$REQ" >&2
	lab_die "newOrder did not carry replaces=$id1"
}
id2=$(certid "$cur/cert.pem")
# without --force: the new certificate's window (past) decides
lab_expect 0 past2 ari_certd renew
cat "$LAB_TMP/past2.out"
grep -q '^certd: a\.example\.test: renewed (ari), v0003' \
    "$LAB_TMP/past2.out" || lab_die "a past window did not renew"
grep -qx "ari $id2" "$REQ" || lab_die "no poll for the new certificate"
grep -qx "order replaces=$id2" "$REQ" || lab_die "replaces != $id2"
lab_check_cert "$cur" "$LAB_TMP/root.pem"

# alreadyReplaced: ordered again without replaces, and renewed
id3=$(certid "$cur/cert.pem")
window $((now - 7200)) $((now - 3600)) 60 yes
lab_expect 0 replaced ari_certd renew
cat "$LAB_TMP/replaced.out"
grep -q 'renewed (ari), v0004.*already replaced' "$LAB_TMP/replaced.out" ||
    lab_die "alreadyReplaced was not retried"
grep -qx "order rejected replaces=$id3" "$REQ" ||
    lab_die "the first order did not carry replaces=$id3"
[ "$(tail -n 1 "$REQ")" = "order replaces=-" ] ||
    lab_die "the retry was not sent without replaces"

# a malformed window (end = start): the lifetime rule, with a warning
window $((now + 100)) $((now + 100))
lab_expect 0 bad ari_certd -v renew
grep -q 'a\.example\.test: not due' "$LAB_TMP/bad.out" ||
    lab_die "malformed window: expected not due by lifetime"
grep -q 'renewal info: .*end is not after start' "$LAB_TMP/bad.err" ||
    lab_die "malformed window: no warning"
echo "51-renew-ari: ok"
