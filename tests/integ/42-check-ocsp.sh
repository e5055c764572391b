#!/bin/sh
# 42-check-ocsp - certd check answers from the real OCSP responder (openssl
# ocsp on loopback) with --revocation-order ocsp / ocsp,crl: every leaf's
# status and reason (certificateHold too); "split" (revoked only in the
# responder's database) is
# revoked by OCSP and good by the CRL, so the order is honoured; a leaf
# without OCSP URL is unknown with "ocsp" alone; the responder's "unknown"
# status (ghost: not in its database) is no answer; responses signed by the
# intermediate itself are accepted; --ocsp-nonce works with a responder
# that echoes the nonce; stapled responses (--ocsp-response) answer with
# no network at all (tripwires) and a staple for another certificate is
# not used.
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
OCSP=$REVLAB_OCSP_URL
revlab_http_start
revlab_ocsp_start resp

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

for order in ocsp ocsp,crl; do
	chk 0 good --revocation-order "$order"
	revlab_leaf_json "$CHK" good good ocsp "url=$OCSP"
	chk 1 kc --revocation-order "$order"
	revlab_leaf_json "$CHK" kc revoked ocsp keyCompromise "url=$OCSP"
	chk 1 sup --revocation-order "$order"
	revlab_leaf_json "$CHK" sup revoked ocsp superseded "url=$OCSP"
	chk 0 ocspgood --revocation-order "$order"
	revlab_leaf_json "$CHK" ocspgood good ocsp "url=$OCSP"
	chk 1 ocsprev --revocation-order "$order"
	revlab_leaf_json "$CHK" ocsprev revoked ocsp keyCompromise \
	    "url=$OCSP"
	chk 1 split --revocation-order "$order"
	revlab_leaf_json "$CHK" split revoked ocsp cessationOfOperation \
	    "url=$OCSP"
	chk 1 hold --revocation-order "$order"
	revlab_leaf_json "$CHK" hold revoked ocsp certificateHold
	echo "order $order: ok"
done
grep -q 'Received request' "$LAB_TMP/ocsp-resp.log" ||
    lab_die "the responder saw no request"

# crlonly has no OCSP URL: unknown with "ocsp" alone, CRL with ocsp,crl
chk 2 crlonly --revocation-order ocsp
revlab_json "$CHK" status=unknown
chk 1 crlonly --revocation-order ocsp,crl
revlab_leaf_json "$CHK" crlonly revoked crl affiliationChanged
# split with crl,ocsp is good (CRL first): see 41; with ocsp,crl revoked
echo "no OCSP URL: ok"

# ghost: the responder answers "unknown" (not in its database): that is
# no answer; with ocsp,crl the CRL (which does not list it) decides
chk 2 ghost --revocation-order ocsp
revlab_json "$CHK" status=unknown "detail~unknown|not know|does not know"
chk 0 ghost --revocation-order ocsp,crl
revlab_leaf_json "$CHK" ghost good crl
echo "OCSP status unknown: ok"

# a nonce, echoed by openssl ocsp
chk 0 good --revocation-order ocsp --ocsp-nonce
revlab_leaf_json "$CHK" good good ocsp
chk 1 kc --revocation-order ocsp --ocsp-nonce
revlab_leaf_json "$CHK" kc revoked ocsp keyCompromise
echo "nonce: ok"

# responses signed by the issuer itself (no delegated responder)
revlab_stop "$REVLAB_PID_OCSP"
revlab_ocsp_start issuer
chk 1 kc --revocation-order ocsp
revlab_leaf_json "$CHK" kc revoked ocsp keyCompromise
chk 0 good --revocation-order ocsp
revlab_leaf_json "$CHK" good good ocsp
echo "issuer-signed: ok"

# stapled responses, captured now, used with every server replaced by a
# tripwire: the answer must come from the staple alone
revlab_ocsp_capture good "$LAB_TMP/staple-good.der" nononce
revlab_ocsp_capture kc "$LAB_TMP/staple-kc.der" nononce
lab_stop
revlab_tripwire_start
chk 0 good --ocsp-response "$LAB_TMP/staple-good.der"
revlab_leaf_json "$CHK" good good stapled
chk 1 kc --ocsp-response "$LAB_TMP/staple-kc.der"
revlab_leaf_json "$CHK" kc revoked stapled keyCompromise
revlab_tripwire_quiet "stapled responses"
# a staple about another certificate decides nothing: the network is
# down (tripwires), so the answer is unknown - never good, never revoked
chk 2 good --ocsp-response "$LAB_TMP/staple-kc.der"
revlab_json "$CHK" status=unknown
chk 2 kc --ocsp-response "$LAB_TMP/staple-good.der"
revlab_json "$CHK" status=unknown
echo "stapled: ok"

echo "42-check-ocsp: ok"
