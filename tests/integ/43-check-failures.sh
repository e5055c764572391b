#!/bin/sh
# 43-check-failures - every unusable answer gives "unknown" (exit 2, a
# reason in detail), never good and never revoked: a forged CRL (same
# issuer name, other key, listing "good" as revoked), an expired CRL, a
# not-yet-valid CRL, a partitioned CRL for another partition (IDP),
# garbage / 404 / 500 at the CRL URL, a CRL over --crl-max-size, redirects
# to other schemes (file:, ftp:, gopher:); an OCSP responder that is down,
# never answers (timeout, bounded time), answers garbage, non-HTTP bytes,
# 500, too many bytes, or an OCSP error status (tryLater, unauthorized,
# ...); responses signed by a certificate without id-kp-OCSPSigning
# (rogue); a replayed response with another nonce (--ocsp-nonce), a
# response about another certificate. A replayed response without any
# nonce falls back to the time checks (good). With the default order a bad
# CRL falls back to a good OCSP answer.
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
revlab_http_start

# a short timeout (certd's default is 15 s per fetch)
TMO="--timeout 3"

n=0
chk() {
	_rc=$1
	_leaf=$2
	shift 2
	n=$((n + 1))
	revlab_state "c$n"
	CHK="$_leaf-$n"
	revlab_check "$_rc" "$CHK" --cert "$P/$_leaf.pem" \
	    --chain "$P/int.pem" --json "$@"
}

# unknown LEAF DETAIL-REGEX [ARGS]: exit 2, status unknown, no
# reason, detail matching DETAIL-REGEX (case-insensitive)
unknown() {
	_leaf=$1
	_re=$2
	shift 2
	chk 2 "$_leaf" "$@"
	revlab_json "$CHK" status=unknown reason=null revoked_at=null \
	    "detail~$_re"
	echo "  $CHK ($*): unknown: $(sed -n 's/^detail: //p' \
	    "$LAB_TMP/$CHK.json-check")"
}

# --- CRL failures (order crl: no fallback) ------------------------------
revlab_serve "$P/crl/forged.crl" int.crl
unknown good 'signature|verif|issuer|forged|key' --revocation-order crl
unknown kc 'signature|verif|issuer|forged|key' --revocation-order crl
revlab_serve "$P/crl/expired.crl" int.crl
unknown good 'expired|stale|nextupdate|old|outdated' --revocation-order crl
unknown kc 'expired|stale|nextupdate|old|outdated' --revocation-order crl
revlab_serve "$P/crl/future.crl" int.crl
unknown good 'future|not yet|thisupdate' --revocation-order crl
# partitioned CRLs about another partition: IDP names another URL, or
# covers CA certificates only
revlab_serve "$P/crl/idp-other.crl" int.crl
unknown kc 'scope|idp|distribution|partition' --revocation-order crl
unknown good 'scope|idp|distribution|partition' --revocation-order crl
revlab_serve "$P/crl/idp-ca.crl" int.crl
unknown kc 'scope|idp|ca cert|partition' --revocation-order crl
unknown good 'scope|idp|ca cert|partition' --revocation-order crl
head -c 3000 /dev/urandom >"$LAB_TMP/garbage.bin"
revlab_serve "$LAB_TMP/garbage.bin" int.crl
unknown kc 'crl|parse|der|decode|malformed|invalid' --revocation-order crl
# larger than --crl-max-size (MiB): refused while streaming
head -c 2200000 /dev/zero >"$LAB_TMP/big.bin"
revlab_serve "$LAB_TMP/big.bin" int.crl
unknown kc 'large|size|limit|exceed|max' --revocation-order crl \
    --crl-max-size 1
rm -f "$P/www/int.crl"
unknown kc '404|http|not found|status' --revocation-order crl
revlab_stop "$REVLAB_PID_HTTP"
revlab_bad_start http500 "" "$REVLAB_HTTP_PORT"
unknown kc '500|http|status|server' --revocation-order crl
revlab_stop "$REVLAB_PID_BAD"
# nothing listens on the CRL port at all
unknown kc 'connect|refused|fetch|unreachable' --revocation-order crl
# redirects to other schemes are never followed
for loc in "file:///etc/passwd" "ftp://127.0.0.1:$REVLAB_HTTP_PORT/int.crl" \
    "gopher://127.0.0.1:$REVLAB_HTTP_PORT/"; do
	revlab_bad_start redirect "$loc" "$REVLAB_HTTP_PORT"
	unknown kc '.' --revocation-order crl
	revlab_stop "$REVLAB_PID_BAD"
done
# http -> http redirect to the real CRL: following it or not is a choice,
# but the answer is the CRL's (revoked) or unknown, never good
p2=$(lab_ports 1)
revlab_serve "$P/crl/int.crl" moved.crl
revlab_spawn http2 "$p2" "$REVLAB_PY" "$LAB_SRC/tests/lab/revlab-http.py" \
    "$P/www" "$p2"
pid2=$REVLAB_LAST_PID
revlab_bad_start redirect "http://127.0.0.1:$p2/moved.crl" "$REVLAB_HTTP_PORT"
chk '1|2' kc --revocation-order crl
revlab_json "$CHK" "status~^(revoked|unknown)$"
echo "  http -> http redirect: $(revlab_field "$CHK" status)"
revlab_stop "$REVLAB_PID_BAD" "$pid2"
echo "CRL failures: ok"

# default order: a forged CRL is skipped, OCSP answers
revlab_http_start
revlab_serve "$P/crl/forged.crl" int.crl
revlab_ocsp_start resp
chk 0 good
revlab_leaf_json "$CHK" good good ocsp
chk 1 kc
revlab_leaf_json "$CHK" kc revoked ocsp keyCompromise
# ... and with OCSP down too, the forged CRL still decides nothing
revlab_stop "$REVLAB_PID_OCSP"
unknown good '.'
revlab_serve "$P/crl/int.crl" int.crl
echo "forged CRL + OCSP fallback: ok"

# --- OCSP failures (order ocsp) -----------------------------------------
unknown good 'connect|refused|fetch|unreachable' --revocation-order ocsp
# OCSPResponse with only a non-successful responseStatus: 1
# malformedRequest, 2 internalError, 3 tryLater, 6 unauthorized
for st in 1 2 3 6; do
	# shellcheck disable=SC2059 # $st is one octal digit
	printf "\\060\\003\\012\\001\\00$st" >"$LAB_TMP/status$st.der"
	revlab_bad_start replay "$LAB_TMP/status$st.der"
	unknown good '.' --revocation-order ocsp
	revlab_stop "$REVLAB_PID_BAD"
done
for m in garbage nothttp http500; do
	revlab_bad_start "$m"
	unknown kc '.' --revocation-order ocsp
	revlab_stop "$REVLAB_PID_BAD"
done
# an OCSP response larger than certd's cap (REV_OCSP_MAX, 64 KiB)
revlab_bad_start big 70000
unknown good 'large|size|limit|exceed|max' --revocation-order ocsp
revlab_stop "$REVLAB_PID_BAD"
revlab_bad_start hang
t0=$(date +%s)
# shellcheck disable=SC2086
unknown good 'time|timed out|timeout' --revocation-order ocsp $TMO
t1=$(date +%s)
[ $((t1 - t0)) -le 12 ] || lab_die "hanging responder: $((t1 - t0)) s"
echo "  hanging responder: unknown after $((t1 - t0)) s"
revlab_stop "$REVLAB_PID_BAD"
echo "responder down/garbage/500/hang: ok"

# rogue: signed by a certificate of the right issuer without OCSPSigning
revlab_ocsp_start rogue
unknown good 'sign|verif|responder|ocspsigning|usage|unauthori' \
    --revocation-order ocsp
unknown kc 'sign|verif|responder|ocspsigning|usage|unauthori' \
    --revocation-order ocsp
revlab_stop "$REVLAB_PID_OCSP"
echo "rogue responder: ok"

# replays: capture (real responder), then replay for any request
revlab_ocsp_start resp
revlab_ocsp_capture good "$LAB_TMP/good-nonce.der" nonce
revlab_ocsp_capture good "$LAB_TMP/good-nononce.der" nononce
revlab_ocsp_capture kc "$LAB_TMP/kc-nononce.der" nononce
revlab_stop "$REVLAB_PID_OCSP"
revlab_bad_start replay "$LAB_TMP/good-nonce.der"
unknown good 'nonce' --revocation-order ocsp --ocsp-nonce
revlab_stop "$REVLAB_PID_BAD"
# no nonce in the response at all: fall back to the time checks
revlab_bad_start replay "$LAB_TMP/good-nononce.der"
chk 0 good --revocation-order ocsp --ocsp-nonce
revlab_leaf_json "$CHK" good good ocsp
# ... but that response is about "good": for "sup" it answers nothing
unknown sup '.' --revocation-order ocsp
revlab_stop "$REVLAB_PID_BAD"
revlab_bad_start replay "$LAB_TMP/kc-nononce.der"
unknown good '.' --revocation-order ocsp
revlab_stop "$REVLAB_PID_BAD"
echo "replays: ok"

echo "43-check-failures: ok"
