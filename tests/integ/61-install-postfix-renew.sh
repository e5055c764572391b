#!/bin/sh
# 61-install-postfix-renew - a second issue for the same name (new key)
# installed into the running Postfix: the served fingerprint changes to
# the new certificate, the placed file holds the new key, and main.cf is
# left alone (configured once).
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
name=renew.example.test
live="$LAB_TMP/live"
placed="$live/postfix/$name.pem"
cur="$LAB_STATE/certs/$name/current"

# issue LABEL ARGS...
issue() {
	_l=$1
	shift
	lab_expect 0 "$_l" lab_certd issue --challenge http-01 \
	    --http-addr 127.0.0.1 --http-port "$LAB_HTTP_PORT" -d "$name" \
	    --install postfix --postfix-config-dir "$PF_CONF" \
	    --verify-port "$PF_PORT" --dest-dir "$live" \
	    --deploy-hook-dir "$LAB_TMP/nohooks" "$@"
	grep -q "^certd: $name: installed into postfix" "$LAB_TMP/$_l.out" ||
	    lab_die "$_l: not installed"
}
pubkey() {
	openssl x509 -in "$1" -noout -pubkey | sha256sum
}

issue first --configure
fpr1=$(pf_file_fpr "$cur/cert.pem")
key1=$(pubkey "$cur/cert.pem")
[ "$(pf_served_fpr)" = "$fpr1" ] || lab_die "first certificate not served"
cp "$PF_CONF/main.cf" "$LAB_TMP/main.cf.1"

issue second
fpr2=$(pf_file_fpr "$cur/cert.pem")
key2=$(pubkey "$cur/cert.pem")
[ "$fpr1" != "$fpr2" ] || lab_die "the second issue kept the certificate"
[ "$key1" != "$key2" ] || lab_die "the second issue kept the key"
got=$(pf_served_fpr)
echo "first $fpr1, second $fpr2, served $got"
[ "$got" = "$fpr2" ] || lab_die "postfix serves $got, not the new $fpr2"
pf_pair_ok "$placed" || lab_die "$placed: key does not match certificate"
[ "$(pf_file_fpr "$placed")" = "$fpr2" ] || lab_die "$placed: old certificate"
[ "$(openssl pkey -in "$placed" -pubout | sha256sum)" = "$key2" ] ||
    lab_die "$placed: old key"
cmp "$PF_CONF/main.cf" "$LAB_TMP/main.cf.1" || lab_die "main.cf changed"
set -- "$PF_CONF"/main.cf.certd-backup-*
[ "$#" -eq 1 ] || lab_die "main.cf backups: $*"
lab_expect 0 list lab_certd list
grep -q "$name" "$LAB_TMP/list.out" || lab_die "list"
echo "61-install-postfix-renew: ok"
