#!/bin/sh
# 62-install-postfix-fail - installation failures roll back: a main.cf
# that `postfix check` refuses, a Postfix that is not running (reload
# fails), and a verify that sees another certificate. Each time certd
# exits 1 with one line naming the step and Postfix's own message, the
# new version stays stored, the previous file is back byte for byte, and
# (where Postfix runs) the old certificate is still served.
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
pf_init other
pf_init postfix
pf_start
name=fail.example.test
live="$LAB_TMP/live"
placed="$live/postfix/$name.pem"
cur="$LAB_STATE/certs/$name/current"

# issue RC LABEL ARGS...
issue() {
	_rc=$1
	_l=$2
	shift 2
	lab_expect "$_rc" "$_l" lab_certd issue --challenge http-01 \
	    --http-addr 127.0.0.1 --http-port "$LAB_HTTP_PORT" -d "$name" \
	    --install postfix --postfix-config-dir "$PF_CONF" \
	    --verify-port "$PF_PORT" --dest-dir "$live" \
	    --deploy-hook-dir "$LAB_TMP/nohooks" "$@"
}
# unchanged LABEL: the placed file is the saved one
unchanged() {
	cmp "$placed" "$LAB_TMP/placed.good" ||
	    lab_die "$1: $placed was not restored"
	[ "$(stat -c '%a %u' "$placed")" = "600 0" ] ||
	    lab_die "$1: $placed mode/owner not restored"
	pf_pair_ok "$placed" || lab_die "$1: key and certificate differ"
	pf_no_temp "$live/postfix"
}
# says LABEL PATTERN: the one stderr line matches PATTERN (grep -E)
says() {
	lab_one_error_line "$1"
	cat "$LAB_TMP/$1.err"
	grep -Eq "$2" "$LAB_TMP/$1.err" ||
	    lab_die "$1: stderr does not match: $2"
}

issue 0 first --configure
good=$(pf_file_fpr "$cur/cert.pem")
[ "$(pf_served_fpr)" = "$good" ] || lab_die "first certificate not served"
cp "$placed" "$LAB_TMP/placed.good"

# 1. main.cf broken on purpose: postfix check fails, nothing reloaded
cp "$PF_CONF/main.cf" "$LAB_TMP/main.cf.ok"
echo "default_process_limit = abc" >>"$PF_CONF/main.cf"
issue 1 badcheck
says badcheck "^certd: $name: install postfix: check failed: .*fatal: bad numerical configuration: default_process_limit = abc; previous files restored, previous certificate served\$"
unchanged badcheck
[ "$(readlink "$cur")" = v0002 ] || lab_die "badcheck: new version not kept"
[ "$(pf_served_fpr)" = "$good" ] || lab_die "badcheck: old certificate gone"
[ "$(pf_file_fpr "$cur/cert.pem")" != "$good" ] || lab_die "badcheck: same"
cmp -s "$PF_CONF/main.cf" "$LAB_TMP/main.cf.ok" &&
    lab_die "badcheck: certd changed main.cf it did not configure"

# fixed: installing the stored version again works
cp "$LAB_TMP/main.cf.ok" "$PF_CONF/main.cf"
lab_expect 0 fixed lab_certd install --name "$name"
v2=$(pf_file_fpr "$cur/cert.pem")
[ "$(pf_served_fpr)" = "$v2" ] || lab_die "fixed: v0002 not served"
cp "$placed" "$LAB_TMP/placed.good"
good=$v2

# 2. Postfix not running: reload fails
pf_stop
issue 1 noreload
says noreload "^certd: $name: install postfix: reload failed: .*fatal: the Postfix mail system is not running; previous files restored, but reload failed: .*not running\$"
unchanged noreload
[ "$(readlink "$cur")" = v0003 ] || lab_die "noreload: new version not kept"

# 3. verify sees another certificate (another Postfix on the verify port):
# rollback, reload, and that port serves what it served before again
pf_start
[ "$(pf_served_fpr)" = "$good" ] || lab_die "restart: v0002 not served"
pf_use other
pf_start
otherport=$PF_PORT
pf_use postfix
lab_expect 1 badverify lab_certd install --name "$name" --for postfix \
    --postfix-config-dir "$PF_CONF" --dest-dir "$live" \
    --verify-port "postfix:$otherport"
says badverify "^certd: $name: install postfix: verify failed: 127\\.0\\.0\\.1:$otherport serves sha256 [0-9a-f]{16}\\.\\.\\., not [0-9a-f]{16}\\.\\.\\.; previous files restored, previous certificate served\$"
unchanged badverify
[ "$(pf_served_fpr)" = "$good" ] || lab_die "badverify: v0002 not served"
echo "62-install-postfix-fail: ok"
