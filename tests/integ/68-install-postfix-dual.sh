#!/bin/sh
# 68-install-postfix-dual - an ECDSA and an RSA certificate served side by
# side by one Postfix (smtpd_tls_chain_files holds both): installing,
# re-installing and renewing either one verifies the certificate of its
# own key type, which the server only shows to a client that offers that
# type's signature algorithms; both stay served throughout.
set -eu
LAB_SRC=${LAB_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
CERTD=${CERTD:-$LAB_SRC/build/certd/certd}
# shellcheck disable=SC1091
. "$LAB_SRC/tests/lab/lab.sh"
# shellcheck disable=SC1091
. "$LAB_SRC/tests/lab/postfix.sh"
lab_init
lab_trap
lab_start
pf_init postfix
pf_start
live="$LAB_TMP/live"

# served SIGALGS: the leaf fingerprint a client offering only SIGALGS sees
served() {
	echo QUIT | timeout 15 openssl s_client -starttls smtp \
	    -sigalgs "$1" -connect "127.0.0.1:$PF_PORT" 2>/dev/null |
	    openssl x509 -noout -fingerprint -sha256 2>/dev/null |
	    sed 's/.*=//' | tr -d ':' | tr 'A-F' 'a-f'
}
EC_ALGS=ecdsa_secp256r1_sha256:ecdsa_secp384r1_sha384
RSA_ALGS=rsa_pss_rsae_sha256:rsa_pkcs1_sha256

# issue NAME KEYTYPE LABEL: issue and install into the running Postfix
issue() {
	lab_expect 0 "$3" lab_certd issue --challenge http-01 \
	    --http-addr 127.0.0.1 --http-port "$LAB_HTTP_PORT" -d "$1" \
	    --key-type "$2" --install postfix --configure \
	    --postfix-config-dir "$PF_CONF" --verify-port "$PF_PORT" \
	    --dest-dir "$live"
	grep -q "^certd: $1: installed into postfix" "$LAB_TMP/$3.out" ||
	    lab_die "$3: no installed line"
}

# both NAME: both certificates are served, each to its own client
both() {
	_ec=$(pf_file_fpr "$LAB_STATE/certs/ec.example.test/current/cert.pem")
	_rsa=$(pf_file_fpr "$LAB_STATE/certs/rsa.example.test/current/cert.pem")
	[ "$(served "$EC_ALGS")" = "$_ec" ] ||
	    lab_die "$1: the ECDSA certificate is not served"
	[ "$(served "$RSA_ALGS")" = "$_rsa" ] ||
	    lab_die "$1: the RSA certificate is not served"
}

issue ec.example.test ecdsa-p256 issue-ec
# the server prefers ECDSA for a default client: the RSA install must
# still verify its own certificate
issue rsa.example.test rsa2048 issue-rsa
v=$(postconf -c "$PF_CONF" -h smtpd_tls_chain_files)
case $v in
*ec.example.test.pem*rsa.example.test.pem*) ;;
*) lab_die "smtpd_tls_chain_files does not hold both: $v" ;;
esac
both "after both issued"

# again, and renewals of each, in both orders
lab_expect 0 again-rsa lab_certd install --name rsa.example.test \
    --for postfix --postfix-config-dir "$PF_CONF" --verify-port "$PF_PORT" \
    --dest-dir "$live"
lab_expect 0 again-ec lab_certd install --name ec.example.test
lab_expect 0 renew-all lab_certd renew --force
grep -q "rsa.example.test: .*installed into postfix" \
    "$LAB_TMP/renew-all.out" || lab_die "renew: RSA not installed"
grep -q "ec.example.test: .*installed into postfix" \
    "$LAB_TMP/renew-all.out" || lab_die "renew: ECDSA not installed"
both "after renew --force"
echo "68-install-postfix-dual: ok"
