#!/bin/sh
# 41-check-crl - certd check --cert answers from the intermediate's CRL
# (served over HTTP on loopback): good, revoked keyCompromise / superseded /
# affiliationChanged (CRL-only leaf) / certificateHold with the revocation
# time of the CA database; "split" (revoked after the CRL was made) and
# "ghost" (not in the CA database) are good by the CRL;
# a leaf without CRL DP is unknown with --revocation-order crl and falls
# back to OCSP by default; a PEM CRL and a partitioned CRL whose IDP names
# the URL are accepted; the intermediate comes
# from AIA caIssuers (DER or PKCS#7) when --chain is not given; the human output names
# subject, issuer, serial, source and URL. Exit codes are exact.
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
CRL=$REVLAB_CRL_URL
revlab_http_start
revlab_ocsp_start resp

# chk RC LEAF [ARGS...]: --json check of LEAF (chain given) in a fresh
# cache; the output's name is left in $CHK
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

for order in crl crl,ocsp; do
	chk 0 good --revocation-order "$order"
	revlab_leaf_json "$CHK" good good crl "url=$CRL" \
	    "issuer~revlab Intermediate"
	chk 1 kc --revocation-order "$order"
	revlab_leaf_json "$CHK" kc revoked crl keyCompromise "url=$CRL"
	chk 1 sup --revocation-order "$order"
	revlab_leaf_json "$CHK" sup revoked crl superseded "url=$CRL"
	chk 1 crlonly --revocation-order "$order"
	revlab_leaf_json "$CHK" crlonly revoked crl affiliationChanged \
	    "url=$CRL"
	# split: not on the CRL (OCSP would say revoked): CRL came first
	chk 0 split --revocation-order "$order"
	revlab_leaf_json "$CHK" split good crl "url=$CRL"
	# on hold: revoked, reason certificateHold
	chk 1 hold --revocation-order "$order"
	revlab_leaf_json "$CHK" hold revoked crl certificateHold
	# ghost: not in the CA database, so not on the CRL (OCSP: unknown)
	chk 0 ghost --revocation-order "$order"
	revlab_leaf_json "$CHK" ghost good crl
	echo "order $order: ok"
done

# leaves without a CRL DP: nothing to ask with "crl" alone; the default
# order falls back to OCSP
chk 2 ocspgood --revocation-order crl
revlab_json "$CHK" status=unknown serial=*
chk 2 ocsprev --revocation-order crl
revlab_json "$CHK" status=unknown
chk 0 ocspgood
revlab_leaf_json "$CHK" ocspgood good ocsp "url=$REVLAB_OCSP_URL"
chk 1 ocsprev
revlab_leaf_json "$CHK" ocsprev revoked ocsp keyCompromise \
    "url=$REVLAB_OCSP_URL"
echo "no CRL DP: ok"

# the CRL fetch really happened, from the URL in the certificate
grep -q '^req GET /int.crl 200 ' "$LAB_TMP/http.log" ||
    lab_die "no GET /int.crl in http.log"

# a PEM CRL at the same URL (the issue: "DER or PEM")
revlab_serve "$P/crl/int.crl.pem" int.crl
chk 1 kc --revocation-order crl
revlab_leaf_json "$CHK" kc revoked crl keyCompromise
chk 0 good --revocation-order crl
revlab_leaf_json "$CHK" good good crl
revlab_serve "$P/crl/int.crl" int.crl
echo "PEM CRL: ok"

# a partitioned CRL whose Issuing Distribution Point is this very URL
revlab_serve "$P/crl/idp-match.crl" int.crl
chk 1 kc --revocation-order crl
revlab_leaf_json "$CHK" kc revoked crl keyCompromise
chk 0 good --revocation-order crl
revlab_leaf_json "$CHK" good good crl
revlab_serve "$P/crl/int.crl" int.crl
echo "IDP matching the URL: ok"

# no --chain: the intermediate comes from AIA caIssuers (int.der)
before=$(grep -c '^req GET /int.der ' "$LAB_TMP/http.log" || true)
revlab_state aia
revlab_check 1 aia-kc --cert "$P/kc.pem" --json --revocation-order crl
revlab_leaf_json aia-kc kc revoked crl keyCompromise
after=$(grep -c '^req GET /int.der ' "$LAB_TMP/http.log" || true)
[ "$after" -gt "$before" ] || lab_die "no GET /int.der (AIA caIssuers)"
# "nosan" has no caIssuers URL: without --chain its chain cannot be built
revlab_state aia2
revlab_check 2 nocai --cert "$P/nosan.pem" --json
revlab_json nocai status=unknown
revlab_state aia3
revlab_check 0 nocai-chain --cert "$P/nosan.pem" --chain "$P/int.pem" --json
revlab_leaf_json nocai-chain nosan good crl
# caIssuers answering PKCS#7 (certs-only, DER) instead of one certificate
revlab_serve "$P/int.p7c" int.der
revlab_state aia4
revlab_check 1 aia-p7c --cert "$P/kc.pem" --json --revocation-order crl
revlab_leaf_json aia-p7c kc revoked crl keyCompromise
revlab_serve "$P/int.der" int.der
echo "AIA caIssuers: ok"

# human output: "key: value" lines
revlab_state human
revlab_check 1 human-kc --cert "$P/kc.pem" --chain "$P/int.pem"
revlab_human human-kc status revoked
revlab_human human-kc source crl
revlab_human human-kc url "$CRL"
revlab_human human-kc reason keyCompromise
revlab_human human-kc subject "~kc\\.revlab\\.test"
revlab_human human-kc issuer "~revlab Intermediate"
s=$(revlab_field human-kc serial | tr -d ':' | tr 'A-F' 'a-f' |
    sed 's/^0*//')
[ "$s" = "$(revlab_serial kc)" ] || lab_die "human serial '$s'"
revlab_human human-kc revoked_at "~^$(revlab_revtime kc | cut -c1-10)"
revlab_human human-kc checked_at "~^[0-9]{4}-"
revlab_state human2
revlab_check 0 human-good --cert "$P/good.pem" --chain "$P/int.pem"
revlab_human human-good status good
revlab_human human-good source crl
echo "human output: ok"

echo "41-check-crl: ok"
