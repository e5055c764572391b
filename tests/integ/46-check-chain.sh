#!/bin/sh
# 46-check-chain - chain and source edge cases of certd check --cert: a
# 7-day leaf without any revocation pointer is good ("short-lived", source
# none) with no network at all; a 90-day leaf without pointers is unknown;
# self-signed, foreign-root (untrusted) and expired leaves are unknown with
# a reason, never good, even though their CRL/OCSP URLs answer; a revoked
# leaf checked against the wrong trust anchors is unknown, not revoked; an
# intermediate fetched over AIA never becomes a trust anchor.
# Usage errors exit 64, a missing file 66, and change nothing.
set -eu
LAB_SRC=${LAB_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
CERTD=${CERTD:-$LAB_SRC/build/certd/certd}
# shellcheck disable=SC1091
. "$LAB_SRC/tests/lab/lab.sh"
# shellcheck disable=SC1091
. "$LAB_SRC/tests/lab/revlab.sh"
revlab_netns "$0" "$@"
revlab_init
P=$REVLAB_PKI

n=0
chk() {
	_rc=$1
	_leaf=$2
	shift 2
	n=$((n + 1))
	revlab_state "c$n"
	CHK="$_leaf-$n"
	revlab_check "$_rc" "$CHK" --cert "$P/$_leaf.pem" --json "$@"
}

# no revocation pointers; the intermediate is given, so nothing needs the
# network: tripwires on both lab ports
revlab_tripwire_start
chk 0 short --chain "$P/int.pem"
revlab_leaf_json "$CHK" short good none "detail~short"
chk 2 long --chain "$P/int.pem"
revlab_leaf_json "$CHK" long unknown none
for o in crl ocsp ocsp,crl; do
	chk 0 short --chain "$P/int.pem" --revocation-order "$o"
	revlab_json "$CHK" status=good source=none
	chk 2 long --chain "$P/int.pem" --revocation-order "$o"
	revlab_json "$CHK" status=unknown
done
revlab_tripwire_quiet "leaves without revocation pointers"
n=$((n + 1))
revlab_state "c$n"
revlab_check 0 short-human --cert "$P/short.pem" --chain "$P/int.pem"
revlab_human short-human status good
revlab_human short-human detail '~short'
lab_stop
echo "short-lived / no source: ok"

# untrusted chains, with live CRL and OCSP that would say "good"/"revoked"
revlab_http_start
revlab_ocsp_start resp
chk 2 selfsigned
revlab_json "$CHK" status=unknown "detail~self.signed|untrusted|trust"
chk 2 stranger --chain "$P/stranger-chain.pem"
revlab_json "$CHK" status=unknown "detail~untrusted|trust|issuer|verif"
chk 2 stranger
revlab_json "$CHK" status=unknown
chk 2 expired --chain "$P/int.pem"
revlab_json "$CHK" status=unknown "detail~expire"
# the lab's leaves against another trust anchor: unknown even when revoked
n=$((n + 1))
revlab_state "c$n"
lab_expect 2 kc-foreign-root "$CERTD" --config "$LAB_CONF" \
    --state-dir "$REVLAB_STATE" check --ca-file "$P/stranger-root.pem" \
    --cert "$P/kc.pem" --chain "$P/int.pem" --json
revlab_json kc-foreign-root status=unknown reason=null
# a fetched intermediate is never a trust anchor: with the foreign root,
# "good" without --chain fetches int.der (AIA) and is still untrusted
n=$((n + 1))
revlab_state "c$n"
lab_expect 2 good-aia-foreign "$CERTD" --config "$LAB_CONF" \
    --state-dir "$REVLAB_STATE" check --ca-file "$P/stranger-root.pem" \
    --cert "$P/good.pem" --json
revlab_json good-aia-foreign status=unknown
grep -q '^req GET /int.der ' "$LAB_TMP/http.log" ||
    lab_die "good-aia-foreign: int.der was not fetched"
echo "untrusted / expired: ok"

# usage and file errors: nothing written
revlab_state usage
lab_snapshot "$REVLAB_STATE" "$LAB_TMP/snap0"
lab_expect 64 u-none revlab_certd
lab_expect 64 u-both revlab_certd --cert "$P/good.pem" --host 127.0.0.1:25
lab_expect 64 u-order revlab_certd --cert "$P/good.pem" \
    --revocation-order crl,bogus
lab_expect 64 u-opt revlab_certd --cert "$P/good.pem" --no-such-option
lab_expect 66 u-nofile revlab_certd --cert "$LAB_TMP/nonexistent.pem"
lab_one_error_line u-nofile
lab_expect 66 u-nochain revlab_certd --cert "$P/good.pem" \
    --chain "$LAB_TMP/nonexistent.pem"
printf 'not a certificate\n' >"$LAB_TMP/junk.pem"
# not a certificate: an input error (64 usage, 65 EX_DATAERR; certd said 76)
lab_expect '64|65|76' u-junk revlab_certd --cert "$LAB_TMP/junk.pem"
lab_one_error_line u-junk
lab_snapshot "$REVLAB_STATE" "$LAB_TMP/snap1"
lab_same_snapshot "$LAB_TMP/snap0" "$LAB_TMP/snap1" "usage errors"
echo "usage errors: ok"

echo "46-check-chain: ok"
