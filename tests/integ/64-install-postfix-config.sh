#!/bin/sh
# 64-install-postfix-config - the install settings from certd.conf (a
# non-default Postfix instance, the destination, the verify port) instead
# of flags; a first installation with --configure that fails puts main.cf
# back byte for byte and removes the file it placed; usage errors.
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

# settings in certd.conf only
{
	echo "postfix_config_dir = $PF_CONF"
	echo "dest_dir = $live"
	echo "verify_port = $PF_PORT"
	echo "deploy_hook_dir = $LAB_TMP/nohooks"
} >>"$LAB_CONF"
lab_expect 0 conf lab_certd issue --challenge http-01 --http-addr 127.0.0.1 \
    --http-port "$LAB_HTTP_PORT" -d conf.example.test --install postfix \
    --configure
f=$(pf_file_fpr "$LAB_STATE/certs/conf.example.test/current/cert.pem")
[ "$(pf_served_fpr)" = "$f" ] || lab_die "conf: not served"
[ "$(postconf -c "$PF_CONF" -h smtpd_tls_chain_files)" = \
    "$live/postfix/conf.example.test.pem" ] || lab_die "conf: main.cf"

# a first --configure whose check fails: main.cf and the directory as
# they were (the placed file removed again)
cp "$PF_CONF/main.cf" "$LAB_TMP/main.cf.ok"
echo "default_process_limit = abc" >>"$PF_CONF/main.cf"
cp "$PF_CONF/main.cf" "$LAB_TMP/main.cf.broken"
lab_expect 1 first lab_certd issue --challenge http-01 \
    --http-addr 127.0.0.1 --http-port "$LAB_HTTP_PORT" \
    -d first.example.test --install postfix --configure
lab_one_error_line first
grep -q "install postfix: check failed: .*default_process_limit = abc; previous files restored, previous certificate served" \
    "$LAB_TMP/first.err" || lab_die "first: $(cat "$LAB_TMP/first.err")"
cmp "$PF_CONF/main.cf" "$LAB_TMP/main.cf.broken" ||
    lab_die "first: main.cf not restored"
[ ! -e "$live/postfix/first.example.test.pem" ] ||
    lab_die "first: the placed file was not removed"
pf_no_temp "$live/postfix"
[ "$(pf_served_fpr)" = "$f" ] || lab_die "first: conf.example.test not served"
cp "$LAB_TMP/main.cf.ok" "$PF_CONF/main.cf"

# usage errors: exit 64, one line
for args in "--print-config qmail" "--print-config hooks" \
    "--name conf.example.test --for postfix --verify-port 70000" \
    "--name conf.example.test --for postfix --verify-port smtpd:25" \
    "--for postfix" "--name conf.example.test --for postfix extra"; do
	# shellcheck disable=SC2086
	lab_expect 64 usage lab_certd install $args
	lab_one_error_line usage
done
lab_expect 64 confnoinst lab_certd issue -d x.example.test --configure
lab_one_error_line confnoinst
lab_expect 0 pc lab_certd install --print-config postfix
grep -qx "smtpd_tls_chain_files = $live/postfix/NAME.pem" "$LAB_TMP/pc.out" ||
    lab_die "print-config without --name: $(cat "$LAB_TMP/pc.out")"
echo "64-install-postfix-config: ok"
