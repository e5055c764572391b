#!/bin/sh
# 66-install-dovecot - a private Dovecot (IMAPS on a free loopback port)
# serving the lab's own certificate; certd issue --install dovecot
# --configure appends certd's settings to its config (backup first),
# writes the files into a new version directory, switches the `current`
# symlink, runs doveadm reload, and openssl s_client sees the new
# certificate over implicit TLS; renewals switch versions (two kept); with
# a broken config (doveconf fails) the install fails at "check", the old
# certificate is still served and `current` points at the old version;
# certd install --for dovecot installs once the config is fixed.
set -eu
LAB_SRC=${LAB_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
CERTD=${CERTD:-$LAB_SRC/build/certd/certd}
# shellcheck disable=SC1091
. "$LAB_SRC/tests/lab/lab.sh"
# shellcheck disable=SC1091
. "$LAB_SRC/tests/lab/dovecot.sh"
lab_init
lab_trap
dc_lab_system_check
lab_start
dc_lab_start
name=mail.example.test
live="$LAB_TMP/live"
top="$live/dovecot/$name"
cur="$LAB_STATE/certs/$name/current"

dc_args() {
	echo --dovecot-config "$DC_CONF" --dest-dir "$live" \
	    --verify-port "dovecot:$DC_PORT"
}

issue() {
	_l=$1
	_want=$2
	shift 2
	# shellcheck disable=SC2046
	lab_expect "$_want" "$_l" lab_certd issue --challenge http-01 \
	    --http-addr 127.0.0.1 --http-port "$LAB_HTTP_PORT" -d "$name" \
	    --install dovecot $(dc_args) "$@"
}

fpr_file() {
	openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/.*=//' |
	    tr -d ':' | tr 'A-F' 'a-f'
}

# pair_ok DIR: DIR/key.pem matches DIR/fullchain.pem, modes as wanted
pair_ok() {
	_k=$(openssl pkey -in "$1/key.pem" -pubout | sha256sum)
	_c=$(openssl x509 -in "$1/fullchain.pem" -noout -pubkey | sha256sum)
	[ "$_k" = "$_c" ] || lab_die "$1: key.pem does not match"
	[ "$(stat -c '%a %U' "$1/key.pem")" = "600 root" ] ||
	    lab_die "$1/key.pem: $(stat -c '%a %U' "$1/key.pem")"
	[ "$(stat -c '%a %U' "$1/fullchain.pem")" = "644 root" ] ||
	    lab_die "$1/fullchain.pem: $(stat -c '%a %U' "$1/fullchain.pem")"
}

# served_is FPR WHAT: Dovecot serves FPR (retried: reload is asynchronous)
served_is() {
	_i=0
	while [ "$(dc_lab_fpr)" != "$1" ]; do
		_i=$((_i + 1))
		[ "$_i" -lt 50 ] ||
		    lab_die "$2: dovecot serves $(dc_lab_fpr), not $1"
		sleep 0.2
	done
}

versions() {
	for _v in "$top"/v[0-9]*; do
		if [ -d "$_v" ]; then
			printf '%s ' "${_v##*/}"
		fi
	done
}

labcert=$(fpr_file "$LAB_TMP/tls/cert.pem")
served_is "$labcert" start

# the lines --print-config shows are the template's
lab_expect 0 printcfg lab_certd install --print-config dovecot \
    --name "$name" --dest-dir "$live"
sed -e "s|@DEST@|$live/dovecot|g" -e "s|@NAME@|$name|g" \
    "$LAB_SRC/templates/dovecot-ssl.conf" >"$LAB_TMP/printcfg.want"
cmp "$LAB_TMP/printcfg.want" "$LAB_TMP/printcfg.out" ||
    lab_die "--print-config dovecot differs from templates/dovecot-ssl.conf"
cp "$DC_CONF" "$LAB_TMP/dovecot.conf.before"

# the first installation
issue first 0 --configure
cat "$LAB_TMP/first.out"
grep -q "^certd: $name: installed into dovecot" "$LAB_TMP/first.out" ||
    lab_die "no installed line"
grep -q "^certd: $name: dovecot: $DC_CONF: certd block written" \
    "$LAB_TMP/first.out" || lab_die "configure did not say what it did"
first=$(fpr_file "$cur/cert.pem")
served_is "$first" first
[ "$(readlink "$top/current")" = v0001 ] ||
    lab_die "current -> $(readlink "$top/current")"
pair_ok "$top/current"
cmp "$top/current/fullchain.pem" "$cur/fullchain.pem" ||
    lab_die "fullchain.pem differs from the stored one"
[ "$(doveconf -c "$DC_CONF" -h ssl_cert)" = \
    "<$top/current/fullchain.pem" ] || lab_die "ssl_cert not certd's"
[ "$(doveconf -c "$DC_CONF" -h ssl_key)" = "<$top/current/key.pem" ] ||
    lab_die "ssl_key not certd's"
# the config: the old one plus the template's settings in a block
set -- "$DC_CONF".certd-backup-*
if [ "$#" -ne 1 ] || [ ! -f "$1" ]; then
	lab_die "no single config backup: $*"
fi
cmp "$1" "$LAB_TMP/dovecot.conf.before" || lab_die "config backup differs"
{
	cat "$LAB_TMP/dovecot.conf.before"
	echo "# certd begin"
	grep -v '^#' "$LAB_TMP/printcfg.want"
	echo "# certd end"
} | cmp -s - "$DC_CONF" || lab_die "the config is not old + certd block"

# renewals: new version directories, the previous one kept, older pruned
issue renew1 0 --configure
second=$(fpr_file "$cur/cert.pem")
[ "$second" != "$first" ] || lab_die "renew1 kept the certificate"
served_is "$second" renew1
[ "$(versions)" = "v0001 v0002 " ] || lab_die "versions: $(versions)"
[ "$(readlink "$top/current")" = v0002 ] || lab_die "renew1: current"
pair_ok "$top/current"
grep -q "certd block written" "$LAB_TMP/renew1.out" &&
    lab_die "renew1: configured again"
issue renew2 0
third=$(fpr_file "$cur/cert.pem")
served_is "$third" renew2
[ "$(versions)" = "v0002 v0003 " ] || lab_die "versions: $(versions)"
pair_ok "$top/current"

# a broken config: the install fails at check, current stays
cp "$DC_CONF" "$LAB_TMP/dovecot.conf.good"
echo "certd_lab_bogus_setting = 1" >>"$DC_CONF"
issue broken 1
cat "$LAB_TMP/broken.err"
lab_one_error_line broken
grep -q "install dovecot: check failed" "$LAB_TMP/broken.err" ||
    lab_die "broken: the failed step is not named"
grep -q "certd_lab_bogus_setting" "$LAB_TMP/broken.err" ||
    lab_die "broken: Dovecot's own message is missing"
grep -q "previous certificate served" "$LAB_TMP/broken.err" ||
    lab_die "broken: the rollback is not reported"
[ "$(readlink "$top/current")" = v0003 ] ||
    lab_die "broken: current -> $(readlink "$top/current")"
# (placing v0004 pruned v0002; the rollback removed v0004)
[ "$(versions)" = "v0003 " ] || lab_die "broken: versions $(versions)"
pair_ok "$top/current"
[ "$(dc_lab_fpr)" = "$third" ] || lab_die "broken: old cert not served"
kill -0 "$DC_PID" || lab_die "broken: dovecot died"
fourth=$(fpr_file "$cur/cert.pem")
[ "$fourth" != "$third" ] || lab_die "broken: no new version was stored"

# fixed: certd install puts the stored version in
cp "$LAB_TMP/dovecot.conf.good" "$DC_CONF"
# shellcheck disable=SC2046
lab_expect 0 install lab_certd install --name "$name" --for dovecot \
    $(dc_args)
grep -q "^certd: $name: installed into dovecot" "$LAB_TMP/install.out" ||
    lab_die "install: no installed line"
served_is "$fourth" install
pair_ok "$top/current"
for f in "$top"/.[!.]*; do
	[ ! -e "$f" ] || lab_die "temporary file left: $f"
done
# the stored settings (meta) locate this Dovecot: no options needed
lab_expect 0 stored lab_certd install --name "$name"
grep -q "^certd: $name: installed into dovecot" "$LAB_TMP/stored.out" ||
    lab_die "stored: no installed line"
[ "$(dc_lab_fpr)" = "$fourth" ] || lab_die "stored: wrong certificate"
lab_log "dovecot: all checks passed"
