#!/bin/sh
# 44-check-cache - the revocation cache (STATE/revocation.db): a second
# check of the same certificate is answered from the cache ("source":
# "cache", same status, reason and time) with no request to any server;
# after every server is stopped (tripwires listening on their ports) the
# cache still answers, in a new process each time; with --no-cache the same
# check becomes unknown and the state dir is not touched; a cached verdict
# is only used for a chain that validates. One CRL download
# serves every leaf it covers (offline too); a CRL due for a refresh is fetched again
# with a conditional GET (If-None-Match / If-Modified-Since).
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
revlab_ocsp_start resp
revlab_state main

ck() {
	# ck RC NAME LEAF [ARGS]: --json check in the shared cache
	_rc=$1
	_n=$2
	_l=$3
	shift 3
	revlab_check "$_rc" "$_n" --cert "$P/$_l.pem" --chain "$P/int.pem" \
	    --json "$@"
}
requests() {
	# number of requests the HTTP server and the OCSP responder have seen
	_h=$(grep -c '^req ' "$LAB_TMP/http.log" || true)
	_o=$(grep -c 'Received request' "$LAB_TMP/ocsp-resp.log" || true)
	echo "$((_h + _o))"
}

# first checks: from the network (CRL for kc/good, OCSP for ocsprev)
ck 1 kc1 kc
revlab_leaf_json kc1 kc revoked crl keyCompromise
ck 0 good1 good
revlab_leaf_json good1 good good crl
ck 1 ocsprev1 ocsprev
revlab_leaf_json ocsprev1 ocsprev revoked ocsp keyCompromise
[ -s "$REVLAB_STATE/revocation.db" ] ||
    lab_die "no cache at $REVLAB_STATE/revocation.db"
crl_gets=$(grep -c '^req GET /int.crl ' "$LAB_TMP/http.log" || true)
[ "$crl_gets" -eq 1 ] ||
    lab_die "the CRL was downloaded $crl_gets times for two leaves"
for f in kc1 good1 ocsprev1; do
	revlab_json "$f" valid_until=*
done

# second checks: from the cache, servers running but never asked
r0=$(requests)
ck 1 kc2 kc
revlab_leaf_json kc2 kc revoked cache keyCompromise
ck 0 good2 good
revlab_leaf_json good2 good good cache
ck 1 ocsprev2 ocsprev
revlab_leaf_json ocsprev2 ocsprev revoked cache keyCompromise
r1=$(requests)
[ "$r0" -eq "$r1" ] ||
    lab_die "cached checks made $((r1 - r0)) requests"
for f in kc ocsprev; do
	a=$(revlab_field "${f}1" revoked_at)
	b=$(revlab_field "${f}2" revoked_at)
	[ "$a" = "$b" ] || lab_die "$f: revoked_at $a, then $b from the cache"
done
echo "second check from the cache: ok"

# everything stopped; tripwires on the ports record any connection
lab_stop
revlab_tripwire_start
revlab_check 1 kc3 --cert "$P/kc.pem" --chain "$P/int.pem"
revlab_human kc3 status revoked
revlab_human kc3 source cache
revlab_human kc3 reason keyCompromise
ck 0 good3 good
revlab_leaf_json good3 good good cache
ck 1 ocsprev3 ocsprev
revlab_leaf_json ocsprev3 ocsprev revoked cache keyCompromise
revlab_tripwire_quiet "checks answered from the cache"
echo "offline check from the cache: ok"

# the cache never bypasses chain validation: with another trust anchor
# the cached "good" is not used; and that failure does not replace it
lab_expect 2 good-foreign "$CERTD" --config "$LAB_CONF" \
    --state-dir "$REVLAB_STATE" check --ca-file "$P/stranger-root.pem" \
    --cert "$P/good.pem" --chain "$P/int.pem" --json
revlab_json good-foreign status=unknown
ck 0 good-after good
revlab_leaf_json good-after good good cache
revlab_tripwire_quiet "chain checks"
echo "cache after chain validation: ok"

# --no-cache: neither read nor written
lab_snapshot "$REVLAB_STATE" "$LAB_TMP/snap0"
ck 2 kc4 kc --no-cache
revlab_json kc4 status=unknown
ck 2 good4 good --no-cache
revlab_json good4 status=unknown
lab_snapshot "$REVLAB_STATE" "$LAB_TMP/snap1"
lab_same_snapshot "$LAB_TMP/snap0" "$LAB_TMP/snap1" "--no-cache checks"
echo "--no-cache: ok"

# "sup" was never checked, but the cached CRL (fetched for kc and good,
# valid until its nextUpdate) covers it: revoked, still offline
revlab_tripwire_mark
ck 1 sup1 sup
revlab_json sup1 status=revoked reason=superseded "source~^(crl|cache)$"
revlab_tripwire_quiet "check answered from the cached CRL"
# "ocspgood" (OCSP only) was never checked: nothing cached, unknown
ck 2 ocspgood1 ocspgood
revlab_json ocspgood1 status=unknown
echo "cached CRL for another leaf: ok"

# a CRL due for a refresh (nextUpdate 60 s ago, inside the skew): usable,
# but the next check asks again - conditionally. The server answers 304:
# the same CRL then gives the same answer as when it came with a 200.
lab_stop
revlab_http_start
revlab_ocsp_start resp
revlab_serve "$P/crl/stale.crl" int.crl
revlab_state stale
ck 0 st-good good --revocation-order crl
revlab_leaf_json st-good good good crl
ck '0|1|2' st-sup sup --revocation-order crl
rc304=$LAB_EXIT
revlab_json st-sup
grep '^req GET /int.crl' "$LAB_TMP/http.log" >"$LAB_TMP/crl-gets"
cat "$LAB_TMP/crl-gets"
[ "$(wc -l <"$LAB_TMP/crl-gets")" -ge 2 ] ||
    lab_die "a CRL past its nextUpdate was not fetched again"
sed -n '2,$p' "$LAB_TMP/crl-gets" | grep -q 'inm=[^-]\|ims=[^-]' ||
    lab_die "CRL refresh without If-None-Match / If-Modified-Since"
grep -q '^req GET /int.crl 304 ' "$LAB_TMP/crl-gets" ||
    lab_die "no 304 for the CRL refresh"
echo "conditional GET: ok"
# the same CRL, fetched afresh (200) for "sup"
revlab_state stale2
ck 1 st-sup-200 sup --revocation-order crl
rc200=$LAB_EXIT
revlab_leaf_json st-sup-200 sup revoked crl superseded
a=$(revlab_field st-sup status)
b=$(revlab_field st-sup-200 status)
{ [ "$rc304" = "$rc200" ] && [ "$a" = "$b" ]; } ||
    lab_die "one CRL, two answers: '$b' (exit $rc200) after 200, '$a'" \
    "(exit $rc304) after 304 Not Modified: $(revlab_field st-sup detail)"
echo "304 answers as the 200 did: ok"

echo "44-check-cache: ok"
