#!/bin/sh
# 45-check-probe - certd check --host probes an SMTP server on loopback
# (tests/lab/revlab-smtp.py): STARTTLS presenting the revoked leaf +
# intermediate -> exit 1 revoked keyCompromise; good leaf -> 0; implicit
# TLS (--tls) likewise; a server presenting the leaf alone (intermediate
# from AIA caIssuers); a self-signed server -> 2; the probe says EHLO,
# STARTTLS and QUIT; a stapled OCSP response decides with no network (and
# one about another certificate decides nothing). Connection failures
# exit 69: nothing listening, a peer that never speaks (bounded time);
# 69 or 76 (certd's EX_PROTOCOL): junk instead of a banner, a 554 banner,
# no STARTTLS offered.
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
# a short timeout (certd's default is 15 s per fetch)
TMO="--timeout 3"

n=0
# probe RC NAME [ARGS]: check --host of the current SMTP target (port
# $REVLAB_SMTP_PORT) in a fresh cache; output in $LAB_TMP/NAME-N.out
probe() {
	_rc=$1
	_name=$2
	shift 2
	n=$((n + 1))
	revlab_state "p$n"
	CHK="$_name-$n"
	revlab_check "$_rc" "$CHK" --host "127.0.0.1:$REVLAB_SMTP_PORT" \
	    --json "$@"
}

# STARTTLS presenting the revoked leaf
revlab_smtp_start starttls kc
probe 1 st-kc --starttls smtp
revlab_leaf_json "$CHK" kc revoked crl keyCompromise
L="$LAB_TMP/smtp-starttls-kc.log"
grep -q '^cmd EHLO' "$L" || lab_die "probe sent no EHLO"
grep -q '^cmd STARTTLS' "$L" || lab_die "probe sent no STARTTLS"
grep -q '^tls TLSv1' "$L" || lab_die "no TLS handshake in the probe"
grep -q '^quit' "$L" || echo "note: the probe did not QUIT"
# order ocsp over the probe
probe 1 st-kc-ocsp --starttls smtp --revocation-order ocsp
revlab_leaf_json "$CHK" kc revoked ocsp keyCompromise
revlab_stop "$REVLAB_PID_SMTP"
# human output
revlab_smtp_start starttls sup
n=$((n + 1))
revlab_state "p$n"
revlab_check 1 st-sup-human --host "127.0.0.1:$REVLAB_SMTP_PORT" \
    --starttls smtp
revlab_human st-sup-human status revoked
revlab_human st-sup-human reason superseded
revlab_human st-sup-human subject '~sup\.revlab\.test'
revlab_stop "$REVLAB_PID_SMTP"
revlab_smtp_start starttls good
probe 0 st-good --starttls smtp
revlab_leaf_json "$CHK" good good crl
revlab_stop "$REVLAB_PID_SMTP"
echo "STARTTLS: ok"

# implicit TLS
revlab_smtp_start tls kc
probe 1 tls-kc --tls
revlab_leaf_json "$CHK" kc revoked crl keyCompromise
grep -q '^tls TLSv1' "$LAB_TMP/smtp-tls-kc.log" || lab_die "no TLS (implicit)"
revlab_stop "$REVLAB_PID_SMTP"
revlab_smtp_start tls ocspgood
probe 0 tls-ocspgood --tls
revlab_leaf_json "$CHK" ocspgood good ocsp
revlab_stop "$REVLAB_PID_SMTP"
echo "implicit TLS: ok"

# the server presents the leaf alone: intermediate from AIA caIssuers
revlab_smtp_start starttls crlonly "$P/crlonly.pem"
probe 1 leafonly --starttls smtp
revlab_leaf_json "$CHK" crlonly revoked crl affiliationChanged
revlab_stop "$REVLAB_PID_SMTP"
# a self-signed server certificate: unknown, never good
revlab_smtp_start starttls selfsigned
probe 2 selfsigned --starttls smtp
revlab_json "$CHK" status=unknown "subject~selfsigned"
revlab_stop "$REVLAB_PID_SMTP"
echo "leaf only / self-signed: ok"

# stapled OCSP responses: captured now, then every server is replaced by a
# tripwire; the probe records the staple and the answer comes from it
revlab_ocsp_capture kc "$LAB_TMP/staple-kc.der" nononce
revlab_ocsp_capture good "$LAB_TMP/staple-good.der" nononce
lab_stop
revlab_tripwire_start
revlab_smtp_start staple kc "" "$LAB_TMP/staple-kc.der"
probe 1 staple-kc --starttls smtp
revlab_leaf_json "$CHK" kc revoked stapled keyCompromise
grep -q '^relay' "$LAB_TMP/smtp-staple-kc.log" || lab_die "staple: no relay"
revlab_stop "$REVLAB_PID_SMTP"
revlab_smtp_start staple good "" "$LAB_TMP/staple-good.der"
probe 0 staple-good --starttls smtp
revlab_leaf_json "$CHK" good good stapled
revlab_stop "$REVLAB_PID_SMTP"
revlab_tripwire_quiet "probes with stapled responses"
# a staple about another certificate decides nothing (network is down)
revlab_smtp_start staple good "" "$LAB_TMP/staple-kc.der"
probe 2 staple-other --starttls smtp
revlab_json "$CHK" status=unknown
revlab_stop "$REVLAB_PID_SMTP"
lab_stop
echo "stapled OCSP: ok"

# connection failures: 69 (EX_UNAVAILABLE); a peer that talks nonsense
# may also be 76 (EX_PROTOCOL, certd's code for malformed peer data)
REVLAB_SMTP_PORT=$(lab_ports 1)
probe 69 refused --starttls smtp
lab_one_error_line "$CHK"
for m in garbage busy nostarttls; do
	revlab_smtp_start "$m" good
	probe '69|76' "$m" --starttls smtp
	lab_one_error_line "$CHK"
	echo "  $m: exit $LAB_EXIT: $(cat "$LAB_TMP/$CHK.err")"
	revlab_stop "$REVLAB_PID_SMTP"
done
revlab_smtp_start hang good
t0=$(date +%s)
# shellcheck disable=SC2086
probe 69 hang --starttls smtp $TMO
t1=$(date +%s)
lab_one_error_line "$CHK"
[ $((t1 - t0)) -le 12 ] || lab_die "silent server: $((t1 - t0)) s"
echo "  silent server: exit 69 after $((t1 - t0)) s"
revlab_stop "$REVLAB_PID_SMTP"
echo "connection failures: ok"

echo "45-check-probe: ok"
