#!/bin/sh
# 60-install-postfix - issue from pebble with --install postfix --configure
# into a private Postfix that serves a snakeoil certificate: postconf -e
# points it at certd's file (main.cf saved first), openssl s_client
# -starttls smtp sees the new certificate, the placed file is key + chain
# (0600 root, key first, matching), the deploy hooks ran with CERTD_*,
# --print-config is templates/postfix-main.cf, and `certd install` again
# (with --for, and from the stored settings) is idempotent.
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
name=mx.example.test
live="$LAB_TMP/live"
placed="$live/postfix/$name.pem"
hooks="$LAB_TMP/hooks"
cur="$LAB_STATE/certs/$name/current"

snake=$(pf_file_fpr "$PF_SNAKEOIL")
[ "$(pf_served_fpr)" = "$snake" ] || lab_die "postfix does not serve snakeoil"

# the lines --print-config shows are the template's
lab_expect 0 printcfg lab_certd install --print-config postfix --name "$name" \
    --dest-dir "$live"
sed "s|@CHAIN_FILE@|$placed|" "$LAB_SRC/templates/postfix-main.cf" \
    >"$LAB_TMP/printcfg.want"
cmp "$LAB_TMP/printcfg.want" "$LAB_TMP/printcfg.out" ||
    lab_die "--print-config postfix differs from templates/postfix-main.cf"

# deploy hooks: run in name order, with CERTD_* and nothing else of ours
mkdir -p "$hooks"
cat >"$hooks/10-record" <<EOF
#!/bin/sh
set -eu
env | grep '^CERTD_' | sort >"$LAB_TMP/hook10.env"
env | grep -v '^CERTD_' | cut -d= -f1 | sort >"$LAB_TMP/hook10.other"
echo 10 >>"$LAB_TMP/hook.order"
EOF
cat >"$hooks/20-second" <<EOF
#!/bin/sh
set -eu
echo 20 >>"$LAB_TMP/hook.order"
EOF
printf '#!/bin/sh\necho bad >>"%s"\n' "$LAB_TMP/hook.order" >"$hooks/30-noexec"
printf '#!/bin/sh\necho bad >>"%s"\n' "$LAB_TMP/hook.order" >"$hooks/.hidden"
chmod 755 "$hooks/10-record" "$hooks/20-second" "$hooks/.hidden"
chmod 644 "$hooks/30-noexec"
cp "$PF_CONF/main.cf" "$LAB_TMP/main.cf.before"

# unknown targets are usage errors before the CA is asked
lab_expect 64 badtarget lab_certd issue -d "$name" --install postfix,sendmail
lab_one_error_line badtarget
grep -q 'sendmail' "$LAB_TMP/badtarget.err" || lab_die "badtarget: message"
[ ! -e "$cur" ] || lab_die "badtarget: something was issued"

lab_expect 0 issue lab_certd issue --challenge http-01 --http-addr 127.0.0.1 \
    --http-port "$LAB_HTTP_PORT" -d "$name" --install postfix --configure \
    --postfix-config-dir "$PF_CONF" --verify-port "$PF_PORT" \
    --dest-dir "$live" --deploy-hook-dir "$hooks"
cat "$LAB_TMP/issue.out"
grep -q "^certd: $name: issued, serial" "$LAB_TMP/issue.out" ||
    lab_die "no issued line"
grep -q "^certd: $name: installed into postfix (v0001)\$" \
    "$LAB_TMP/issue.out" || lab_die "no installed line"
[ ! -s "$LAB_TMP/issue.err" ] || {
	cat "$LAB_TMP/issue.err" >&2
	lab_die "issue --install wrote to stderr"
}

# Postfix serves the new certificate
new=$(pf_file_fpr "$cur/cert.pem")
got=$(pf_served_fpr)
echo "served $got, issued $new"
[ "$got" = "$new" ] || lab_die "postfix serves $got, not the new $new"

# main.cf: pointed at certd's file, the previous one kept as a backup
v=$(postconf -c "$PF_CONF" -h smtpd_tls_chain_files)
[ "$v" = "$placed" ] || lab_die "smtpd_tls_chain_files = $v"
set -- "$PF_CONF"/main.cf.certd-backup-*
{ [ "$#" -eq 1 ] && [ -f "$1" ]; } || lab_die "no single main.cf backup: $*"
cmp "$1" "$LAB_TMP/main.cf.before" || lab_die "main.cf backup differs"
grep -q "^certd: $name: postfix: $PF_CONF/main.cf: smtpd_tls_chain_files" \
    "$LAB_TMP/issue.out" || lab_die "configure did not say what it did"

# the placed file: root 0600, key first, then the leaf, then the chain
[ "$(stat -c '%a %u' "$placed")" = "600 0" ] ||
    lab_die "$placed: $(stat -c '%a %u' "$placed")"
head -n 1 "$placed" | grep -q 'PRIVATE KEY-----$' ||
    lab_die "$placed does not start with the key"
pf_pair_ok "$placed" || lab_die "$placed: key does not match certificate"
[ "$(pf_file_fpr "$placed")" = "$new" ] || lab_die "$placed: wrong certificate"
sed -n '/BEGIN CERTIFICATE/,$p' "$placed" >"$LAB_TMP/placed.chain"
cmp "$LAB_TMP/placed.chain" "$cur/fullchain.pem" ||
    lab_die "$placed: certificates are not fullchain.pem"
pf_no_temp "$live/postfix"

# deploy hooks
[ "$(tr '\n' ' ' <"$LAB_TMP/hook.order")" = "10 20 " ] ||
    lab_die "hooks ran: $(cat "$LAB_TMP/hook.order")"
cat "$LAB_TMP/hook10.env"
ver=$(readlink "$cur")
for kv in "CERTD_NAME=$name" "CERTD_ACTION=deploy" "CERTD_TARGETS=postfix" \
    "CERTD_SHA256=$new" \
    "CERTD_CERT=$LAB_STATE/certs/$name/$ver/cert.pem" \
    "CERTD_KEY=$LAB_STATE/certs/$name/$ver/privkey.pem" \
    "CERTD_CHAIN=$LAB_STATE/certs/$name/$ver/chain.pem" \
    "CERTD_FULLCHAIN=$LAB_STATE/certs/$name/$ver/fullchain.pem"; do
	grep -qxF "$kv" "$LAB_TMP/hook10.env" || lab_die "hook env lacks $kv"
done
grep -qv '^\(PATH\|PWD\|SHLVL\|_\)$' "$LAB_TMP/hook10.other" &&
    lab_die "hook got more environment: $(cat "$LAB_TMP/hook10.other")"

# the settings are stored with the version, for renewals
for kv in install=postfix "postfix_config_dir=$PF_CONF" \
    "verify_port=$PF_PORT" "install_dest_dir=$live"; do
	grep -qxF "$kv" "$cur/meta" || lab_die "meta lacks $kv"
done

# again: nothing to configure (no second backup), same certificate
lab_expect 0 again lab_certd install --name "$name" --for postfix \
    --postfix-config-dir "$PF_CONF" --verify-port "postfix:$PF_PORT" \
    --dest-dir "$live" --deploy-hook-dir "$hooks" --configure
grep -q "installed into postfix" "$LAB_TMP/again.out" || lab_die "again"
grep -q "main.cf" "$LAB_TMP/again.out" && lab_die "configured twice"
set -- "$PF_CONF"/main.cf.certd-backup-*
[ "$#" -eq 1 ] || lab_die "a second main.cf backup: $*"
[ "$(pf_served_fpr)" = "$new" ] || lab_die "again: wrong certificate"

# from the stored settings (no --for)
rm -f "$LAB_TMP/hook.order"
lab_expect 0 stored lab_certd install --name "$name"
grep -q "installed into postfix" "$LAB_TMP/stored.out" || lab_die "stored"
[ "$(tr '\n' ' ' <"$LAB_TMP/hook.order")" = "10 20 " ] ||
    lab_die "stored: hooks did not run"

# errors: unknown certificate, unknown target, a failing hook
lab_expect 66 nocert lab_certd install --name nosuch.example.test --for postfix
lab_one_error_line nocert
lab_expect 64 badfor lab_certd install --name "$name" --for qmail
lab_one_error_line badfor
printf '#!/bin/sh\necho "cannot deploy" >&2\nexit 3\n' >"$hooks/40-fail"
chmod 755 "$hooks/40-fail"
lab_expect 1 hookfail lab_certd install --name "$name" --for hooks \
    --deploy-hook-dir "$hooks"
lab_one_error_line hookfail
grep -q "deploy hook 40-fail: exit 3: cannot deploy" "$LAB_TMP/hookfail.err" ||
    lab_die "hookfail: $(cat "$LAB_TMP/hookfail.err")"
chmod 777 "$hooks/40-fail"
lab_expect 1 hookperm lab_certd install --name "$name" --for hooks \
    --deploy-hook-dir "$hooks"
grep -q "writable by others" "$LAB_TMP/hookperm.err" ||
    lab_die "hookperm: $(cat "$LAB_TMP/hookperm.err")"
echo "60-install-postfix: ok"
