#!/bin/sh
# 65-install-exim - a private Exim (Debian's binary, unpacked) serving its
# own self-signed certificate; certd issue --install exim --configure
# writes the certd block into its config (backup first), places the one
# key+chain file (0640 root:Debian-exim), HUPs the daemon, and openssl
# s_client -starttls smtp sees the new certificate; a second issue (the
# renewal) changes it; with a broken config (exim -bV fails) the install
# fails at "check", the old certificate is still served and the file is
# restored; certd install --for exim installs once the config is fixed.
set -eu
LAB_SRC=${LAB_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
CERTD=${CERTD:-$LAB_SRC/build/certd/certd}
# shellcheck disable=SC1091
. "$LAB_SRC/tests/lab/lab.sh"
# shellcheck disable=SC1091
. "$LAB_SRC/tests/lab/exim.sh"
lab_init
lab_trap
lab_start
exim_lab_fetch
exim_lab_start
name=mx.example.test
live="$LAB_TMP/live"
placed="$live/exim/$name.pem"
cur="$LAB_STATE/certs/$name/current"

# exim_args: the options that locate this Exim
exim_args() {
	echo --exim-config "$EXIM_CONF" --exim-bin-dir "$EXIM_BIN_DIR" \
	    --dest-dir "$live" --verify-port "exim:$EXIM_PORT"
}

issue() {
	_l=$1
	_want=$2
	shift 2
	# shellcheck disable=SC2046
	lab_expect "$_want" "$_l" lab_certd issue --challenge http-01 \
	    --http-addr 127.0.0.1 --http-port "$LAB_HTTP_PORT" -d "$name" \
	    --install exim $(exim_args) "$@"
}

# pair_ok FILE: the key in FILE matches its (first) certificate
pair_ok() {
	_k=$(openssl pkey -in "$1" -pubout 2>/dev/null | sha256sum)
	_c=$(openssl x509 -in "$1" -noout -pubkey | sha256sum)
	[ -n "$_k" ] && [ "$_k" = "$_c" ]
}

# served_is FPR WHAT: Exim serves FPR (retried: the daemon re-execs)
served_is() {
	_i=0
	while [ "$(exim_lab_fpr)" != "$1" ]; do
		_i=$((_i + 1))
		[ "$_i" -lt 50 ] ||
		    lab_die "$2: exim serves $(exim_lab_fpr), not $1"
		sleep 0.2
	done
}

selfsigned=$(exim_lab_fpr)
[ -n "$selfsigned" ] || lab_die "exim serves no certificate before"

# the lines --print-config shows are the template's
lab_expect 0 printcfg lab_certd install --print-config exim --name "$name" \
    --dest-dir "$live"
sed -e "s|@DEST@|$live/exim|g" -e "s|@NAME@|$name|g" \
    "$LAB_SRC/templates/exim-tls.conf" >"$LAB_TMP/printcfg.want"
cmp "$LAB_TMP/printcfg.want" "$LAB_TMP/printcfg.out" ||
    lab_die "--print-config exim differs from templates/exim-tls.conf"

cp "$EXIM_CONF" "$LAB_TMP/exim.conf.before"

# the first installation, pointing Exim at certd's file
issue first 0 --configure
cat "$LAB_TMP/first.out"
grep -q "^certd: $name: installed into exim" "$LAB_TMP/first.out" ||
    lab_die "no installed line"
grep -q "^certd: $name: exim: $EXIM_CONF: certd block written" \
    "$LAB_TMP/first.out" || lab_die "configure did not say what it did"
first=$(lab_fpr_file "$cur/cert.pem")
served_is "$first" first
[ "$first" != "$selfsigned" ] || lab_die "same fingerprint as before"

# the config: the template's settings in a block before "begin acl",
# the previous file kept as a backup
sed -n '/^# certd begin$/,/^# certd end$/p' "$EXIM_CONF" >"$LAB_TMP/block"
grep -v '^#' "$LAB_TMP/printcfg.want" >"$LAB_TMP/block.want"
grep -v '^# certd ' "$LAB_TMP/block" | cmp -s - "$LAB_TMP/block.want" ||
    lab_die "the certd block is not the template's settings"
awk '/^# certd end$/ { e = NR } /^begin acl$/ { b = NR }
    END { exit !(e && b && e < b) }' "$EXIM_CONF" ||
    lab_die "the certd block is not in the main section"
set -- "$EXIM_CONF".certd-backup-*
if [ "$#" -ne 1 ] || [ ! -f "$1" ]; then
	lab_die "no single config backup: $*"
fi
cmp "$1" "$LAB_TMP/exim.conf.before" || lab_die "the config backup differs"
"$EXIM_BIN_DIR/exim4" -C "$EXIM_CONF" -bP tls_certificate |
    grep -qxF "tls_certificate = $placed" || lab_die "exim -bP tls_certificate"

# the placed file: chain then key, matching, 0640 root:Debian-exim
[ "$(stat -c '%a %U %G' "$placed")" = "640 root Debian-exim" ] ||
    lab_die "$placed: $(stat -c '%a %U %G' "$placed")"
pair_ok "$placed" || lab_die "$placed: key does not match the certificate"
[ "$(lab_fpr_file "$placed")" = "$first" ] || lab_die "$placed: wrong cert"
sed '/BEGIN .*PRIVATE KEY/,$d' "$placed" >"$LAB_TMP/placed.chain"
cmp "$LAB_TMP/placed.chain" "$cur/fullchain.pem" ||
    lab_die "$placed: the certificates are not fullchain.pem"
for f in "$live/exim"/.[!.]*; do
	[ ! -e "$f" ] || lab_die "temporary file left: $f"
done

# the renewal: a new certificate, served; the config is not touched again
issue renew 0 --configure
second=$(lab_fpr_file "$cur/cert.pem")
[ "$second" != "$first" ] || lab_die "the renewal kept the certificate"
served_is "$second" renew
pair_ok "$placed" || lab_die "renew: key does not match the certificate"
grep -q "certd block written" "$LAB_TMP/renew.out" &&
    lab_die "renew: configured again"
set -- "$EXIM_CONF".certd-backup-*
[ "$#" -eq 1 ] || lab_die "a second config backup: $*"
kill -0 "$EXIM_PID" || lab_die "exim died"

# a broken config: the install fails at check, nothing else changes
cp "$EXIM_CONF" "$LAB_TMP/exim.conf.good"
sha_before=$(sha256sum <"$placed")
sed -i '1i certd_lab_bogus_option = 1' "$EXIM_CONF"
issue broken 1
cat "$LAB_TMP/broken.err"
lab_one_error_line broken
grep -q "install exim: check failed" "$LAB_TMP/broken.err" ||
    lab_die "broken: the failed step is not named"
grep -q "certd_lab_bogus_option" "$LAB_TMP/broken.err" ||
    lab_die "broken: Exim's own message is missing"
grep -q "previous certificate served" "$LAB_TMP/broken.err" ||
    lab_die "broken: the rollback is not reported"
[ "$(sha256sum <"$placed")" = "$sha_before" ] ||
    lab_die "broken: $placed was not restored"
[ "$(stat -c '%a %U %G' "$placed")" = "640 root Debian-exim" ] ||
    lab_die "broken: restored with $(stat -c '%a %U %G' "$placed")"
third=$(lab_fpr_file "$cur/cert.pem")
[ "$third" != "$second" ] || lab_die "broken: no new version was stored"
kill -0 "$EXIM_PID" || lab_die "broken: exim died (HUP with a bad config?)"
[ "$(exim_lab_fpr)" = "$second" ] || lab_die "broken: old cert not served"

# fixed: certd install puts the stored version in
cp "$LAB_TMP/exim.conf.good" "$EXIM_CONF"
# shellcheck disable=SC2046
lab_expect 0 install lab_certd install --name "$name" --for exim \
    $(exim_args)
grep -q "^certd: $name: installed into exim" "$LAB_TMP/install.out" ||
    lab_die "install: no installed line"
served_is "$third" install
pair_ok "$placed" || lab_die "install: key does not match the certificate"
# the stored settings (meta) locate this Exim: no options needed
lab_expect 0 stored lab_certd install --name "$name"
grep -q "^certd: $name: installed into exim" "$LAB_TMP/stored.out" ||
    lab_die "stored: no installed line"
lab_log "exim: all checks passed"
