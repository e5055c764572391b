#!/bin/sh
# 40-revlab - the revocation lab itself, checked with the openssl CLI and
# curl only (no certd): the PKI, the CRLs (real, forged, expired), the OCSP
# responder (delegated, rogue, issuer-signed), the misbehaving responders,
# the conditional-GET HTTP server and the SMTP probe targets all behave as
# the certd tests 41-46 assume. Runs in a private network namespace.
set -eu
LAB_SRC=${LAB_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck disable=SC1091
. "$LAB_SRC/tests/lab/lab.sh"
# shellcheck disable=SC1091
. "$LAB_SRC/tests/lab/revlab.sh"
revlab_netns "$0" "$@"
REVLAB_NO_CERTD=1
revlab_init
P=$REVLAB_PKI
T=$LAB_TMP

# only the namespace's loopback exists
[ "$(ip -o link show | wc -l)" -eq 1 ] || lab_die "more than lo in netns"

revlab_http_start
revlab_ocsp_start resp

# ocsp LEAF [extra openssl ocsp options]: "good", "revoked REASON" or fail
ocsp() {
	_l=$1
	shift
	openssl ocsp -issuer "$P/int.pem" -cert "$P/$_l.pem" \
	    -url "$REVLAB_OCSP_URL" -CAfile "$P/root.pem" -timeout 5 "$@" \
	    >"$T/ocsp-$_l.txt" 2>&1 || return 1
	awk -v f="$P/$_l.pem" '
	    index($0, f ": ") == 1 { st = substr($0, length(f) + 3) }
	    /Reason:/ { r = $2 }
	    END { if (st == "") exit 1; print st (r != "" ? " " r : "") }' \
	    "$T/ocsp-$_l.txt"
}

want_ocsp() {
	_got=$(ocsp "$1") || { cat "$T/ocsp-$1.txt" >&2; lab_die "ocsp $1"; }
	[ "$_got" = "$2" ] || lab_die "ocsp $1: '$_got', want '$2'"
	echo "ocsp $1: $_got"
}
grep -q 'Response verify OK' "$T/ocsp-good.txt" 2>/dev/null || true
want_ocsp good good
want_ocsp kc "revoked keyCompromise"
want_ocsp sup "revoked superseded"
want_ocsp ocspgood good
want_ocsp ocsprev "revoked keyCompromise"
want_ocsp split "revoked cessationOfOperation"
grep -q 'Response verify OK' "$T/ocsp-split.txt" ||
    lab_die "delegated responder: response did not verify"

# the leaves' URLs
openssl x509 -in "$P/good.pem" -noout -ext authorityInfoAccess,crlDistributionPoints \
    >"$T/good-ext.txt"
grep -q "OCSP - URI:$REVLAB_OCSP_URL" "$T/good-ext.txt" || lab_die "good: AIA OCSP"
grep -q "URI:$REVLAB_CRL_URL" "$T/good-ext.txt" || lab_die "good: CRL DP"
if openssl x509 -in "$P/crlonly.pem" -noout -text | grep -q 'OCSP - URI'; then
	lab_die "crlonly has an OCSP URL"
fi
for l in ocspgood ocsprev short long; do
	openssl x509 -in "$P/$l.pem" -noout -text |
	    grep -q 'CRL Distribution' && lab_die "$l has a CRL DP"
done
for l in short long; do
	openssl x509 -in "$P/$l.pem" -noout -text | grep -q 'OCSP - URI' &&
	    lab_die "$l has an OCSP URL"
done
d_short=$(( ($(date -d "$(openssl x509 -in "$P/short.pem" -noout -enddate |
    cut -d= -f2)" +%s) - $(date -d "$(openssl x509 -in "$P/short.pem" \
    -noout -startdate | cut -d= -f2)" +%s)) / 86400 ))
[ "$d_short" -le 7 ] || lab_die "short leaf lives $d_short days"

# CRL over HTTP, with ETag / Last-Modified / 304
curl -sSf -D "$T/h1" -o "$T/int.crl" "$REVLAB_CRL_URL" || lab_die "GET int.crl"
cmp -s "$T/int.crl" "$P/crl/int.crl" || lab_die "served CRL differs"
etag=$(sed -n 's/^[Ee][Tt]ag: *//p' "$T/h1" | tr -d '\r')
lm=$(sed -n 's/^[Ll]ast-[Mm]odified: *//p' "$T/h1" | tr -d '\r')
{ [ -n "$etag" ] && [ -n "$lm" ]; } || lab_die "no ETag/Last-Modified"
c=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" \
    "$REVLAB_CRL_URL")
[ "$c" = 304 ] || lab_die "If-None-Match: $c, want 304"
c=$(curl -s -o /dev/null -w '%{http_code}' -H "If-Modified-Since: $lm" \
    "$REVLAB_CRL_URL")
[ "$c" = 304 ] || lab_die "If-Modified-Since: $c, want 304"
c=$(curl -s -o /dev/null -w '%{http_code}' -H 'If-None-Match: "x"' \
    "$REVLAB_CRL_URL")
[ "$c" = 200 ] || lab_die "stale If-None-Match: $c, want 200"
grep -q '^req GET /int.crl 304 inm=' "$T/http.log" || lab_die "http.log"
curl -sSf -o "$T/int.der" "http://127.0.0.1:$REVLAB_HTTP_PORT/int.der"
cmp -s "$T/int.der" "$P/int.der" || lab_die "served int.der differs"

# CRL contents: verify with the openssl CLI
openssl crl -inform DER -in "$T/int.crl" -out "$T/int.crl.pem"
v() {
	openssl verify -CAfile "$P/root.pem" -untrusted "$P/int.pem" \
	    -crl_check -CRLfile "$1" "$P/$2.pem" >"$T/verify.txt" 2>&1 &&
	    echo ok && return 0
	sed -n 's/^error [0-9]* at [0-9]* depth lookup: //p' "$T/verify.txt" |
	    head -n 1
}
for l in good ocspgood split short long nosan; do
	[ "$(v "$T/int.crl.pem" "$l")" = ok ] || lab_die "CRL: $l not good"
done
for l in kc sup crlonly ocsprev; do
	[ "$(v "$T/int.crl.pem" "$l")" = "certificate revoked" ] ||
	    lab_die "CRL: $l not revoked"
done
openssl crl -inform DER -in "$P/crl/int.crl" -noout -text >"$T/crl.txt"
for r in 'Key Compromise' Superseded 'Affiliation Changed'; do
	grep -q "$r" "$T/crl.txt" || lab_die "CRL reason $r missing"
done
[ "$(v "$P/crl/expired.crl.pem" good)" = "CRL has expired" ] ||
    lab_die "expired CRL: $(v "$P/crl/expired.crl.pem" good)"
[ "$(v "$P/crl/future.crl.pem" good)" = "CRL is not yet valid" ] ||
    lab_die "future CRL: $(v "$P/crl/future.crl.pem" good)"
# forged: same issuer name, does not verify with the intermediate's key
[ "$(openssl crl -in "$P/crl/forged.crl.pem" -noout -issuer)" = \
    "$(openssl crl -in "$P/crl/int.crl.pem" -noout -issuer)" ] ||
    lab_die "forged CRL has another issuer name"
openssl crl -in "$P/crl/forged.crl.pem" -noout -text | grep -q \
    "$(openssl x509 -in "$P/good.pem" -noout -serial | cut -d= -f2)" ||
    lab_die "forged CRL does not list good"
# (openssl crl -verify exits 0 either way: read what it says)
openssl crl -in "$P/crl/forged.crl.pem" -noout -CAfile "$P/int.pem" \
    -verify 2>&1 | grep -qx 'verify failure' || lab_die "forged CRL verifies"
openssl crl -in "$P/crl/int.crl.pem" -noout -CAfile "$P/int.pem" -verify \
    2>&1 | grep -qx 'verify OK' || lab_die "real CRL does not verify"
r=$(v "$P/crl/forged.crl.pem" good)
case $r in
ok | "certificate revoked") lab_die "forged CRL accepted by openssl: $r" ;;
esac
echo "CRLs: ok"

# chain checks: selfsigned / stranger are not trusted, expired is expired
for l in selfsigned stranger; do
	if openssl verify -CAfile "$P/root.pem" -untrusted "$P/$l-chain.pem" \
	    "$P/$l.pem" >/dev/null 2>&1; then
		lab_die "$l verifies against root.pem"
	fi
done
openssl verify -CAfile "$P/root.pem" -untrusted "$P/int.pem" \
    "$P/expired.pem" 2>&1 | grep -q 'certificate has expired' ||
    lab_die "expired leaf"

# issuer-signed responder and rogue responder
revlab_stop "$REVLAB_PID_OCSP"
revlab_ocsp_start issuer
want_ocsp kc "revoked keyCompromise"
revlab_stop "$REVLAB_PID_OCSP"
revlab_ocsp_start rogue
if ocsp good >/dev/null; then
	cat "$T/ocsp-good.txt" >&2
	lab_die "rogue-signed OCSP response accepted by openssl ocsp"
fi
grep -qi 'verify error\|missing ocspsigning usage' "$T/ocsp-good.txt" ||
    { cat "$T/ocsp-good.txt" >&2; lab_die "rogue: no verify error"; }
echo "rogue responder: rejected by openssl ($(grep -io \
    'missing ocspsigning usage' "$T/ocsp-good.txt" | head -n 1))"
revlab_stop "$REVLAB_PID_OCSP"

# replay: a response captured with one nonce, replayed to another request
revlab_ocsp_start resp
revlab_ocsp_capture good "$T/replay-nonce.der" nonce
revlab_ocsp_capture good "$T/replay-nononce.der" nononce
revlab_stop "$REVLAB_PID_OCSP"
revlab_bad_start replay "$T/replay-nonce.der"
if ocsp good -nonce >/dev/null; then
	lab_die "replayed response with a foreign nonce accepted by openssl"
fi
grep -qi 'nonce' "$T/ocsp-good.txt" || lab_die "replay: no nonce error"
[ "$(ocsp good -no_nonce)" = good ] || lab_die "replay without nonce"
grep -q '^req POST / ' "$T/bad-replay-$REVLAB_OCSP_PORT.log" ||
    lab_die "replay log"
revlab_stop "$REVLAB_PID_BAD"
revlab_bad_start replay "$T/replay-nononce.der"
ocsp good -nonce >/dev/null 2>&1 || true
grep -q 'WARNING: no nonce in response' "$T/ocsp-good.txt" ||
    lab_die "nonce-less replay: openssl did not warn"
revlab_stop "$REVLAB_PID_BAD"

# garbage, http500, hang
for m in garbage nothttp http500; do
	revlab_bad_start "$m"
	if ocsp good >/dev/null; then lab_die "$m: openssl ocsp accepted"; fi
	revlab_stop "$REVLAB_PID_BAD"
done
revlab_bad_start hang
t0=$(date +%s)
if ocsp good >/dev/null; then lab_die "hang: openssl ocsp answered"; fi
t1=$(date +%s)
[ $((t1 - t0)) -ge 4 ] || lab_die "hang: openssl returned after $((t1 - t0)) s"
revlab_stop "$REVLAB_PID_BAD"
echo "bad responders: ok"

# tripwire logs connections
revlab_stop "$REVLAB_PID_HTTP"
revlab_tripwire_start
revlab_tripwire_quiet "fresh tripwire"
curl -s -o /dev/null --max-time 2 "$REVLAB_CRL_URL" || true
if (revlab_tripwire_quiet probe) 2>/dev/null; then
	lab_die "tripwire did not notice a connection"
fi
echo "tripwire: ok"

# SMTP probe targets present the revoked leaf + intermediate
s_client() {
	printf 'QUIT\r\n' | timeout 10 openssl s_client "$@" \
	    -connect "127.0.0.1:$REVLAB_SMTP_PORT" -showcerts \
	    -CAfile "$P/root.pem" -verify_return_error >"$T/s_client.txt" 2>&1
}
revlab_smtp_start starttls kc
s_client -starttls smtp || { cat "$T/s_client.txt" >&2; lab_die "STARTTLS"; }
grep -q 'CN = kc.revlab.test' "$T/s_client.txt" || lab_die "STARTTLS: leaf"
[ "$(grep -c 'BEGIN CERTIFICATE' "$T/s_client.txt")" -eq 2 ] ||
    lab_die "STARTTLS: chain is not leaf + intermediate"
grep -q 'Verify return code: 0 (ok)' "$T/s_client.txt" ||
    lab_die "STARTTLS: chain does not verify"
grep -q '^cmd STARTTLS' "$T/smtp-starttls-kc.log" || lab_die "smtp log"
revlab_smtp_start tls kc
s_client || { cat "$T/s_client.txt" >&2; lab_die "implicit TLS"; }
grep -q 'CN = kc.revlab.test' "$T/s_client.txt" || lab_die "TLS: leaf"
echo "SMTP targets: ok"
echo "40-revlab: ok"
