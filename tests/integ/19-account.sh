#!/bin/sh
# 19-account - account register / show / rollover / deactivate: after a key
# rollover the account URL is the same, the stored key changed and issuing
# works (so the server has the new key); after deactivation issuing fails
# with one clear line and the state directory is left alone.
set -eu
LAB_SRC=${LAB_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
CERTD=${CERTD:-$LAB_SRC/build/certd/certd}
# shellcheck disable=SC1091
. "$LAB_SRC/tests/lab/lab.sh"
lab_init
lab_trap
lab_start
lab_root 0 >"$LAB_TMP/root.pem"

issue() {
	lab_certd issue --challenge http-01 --http-addr 127.0.0.1 \
	    --http-port "$LAB_HTTP_PORT" "$@"
}
# value of key K in a show output file
val() {
	sed -n "s/^$1=//p" "$2" | head -n 1
}
# hashes of everything in the state dir except certificates
acctfiles() {
	(cd "$LAB_STATE" && find . -path ./certs -prune -o -type f -print |
	    LC_ALL=C sort | xargs -r sha256sum)
}

# show without an account: 66
lab_expect 66 show0 lab_certd account show
lab_one_error_line show0

lab_expect 0 register lab_certd --email lab@certd.test account register
cat "$LAB_TMP/register.out"
lab_expect 0 show1 lab_certd account show
cat "$LAB_TMP/show1.out"
url=$(val url "$LAB_TMP/show1.out")
case $url in
https://127.0.0.1:*/*) ;;
*) lab_die "account url '$url'" ;;
esac
[ "$(val status "$LAB_TMP/show1.out")" = valid ] || lab_die "status not valid"
[ "$(val directory "$LAB_TMP/show1.out")" = "$LAB_DIR_URL" ] ||
    lab_die "directory is not $LAB_DIR_URL"
grep -q '^contact=.*lab@certd.test' "$LAB_TMP/show1.out" ||
    lab_die "contact missing"
lab_expect 0 issue1 issue -d acct1.example.test

# rollover to a P-384 key
acctfiles >"$LAB_TMP/acct0"
lab_expect 0 rollover lab_certd account rollover --key-type ecdsa-p384
cat "$LAB_TMP/rollover.out"
acctfiles >"$LAB_TMP/acct1"
if cmp -s "$LAB_TMP/acct0" "$LAB_TMP/acct1"; then
	lab_die "rollover did not change any account file"
fi
lab_expect 0 show2 lab_certd account show
cat "$LAB_TMP/show2.out"
[ "$(val url "$LAB_TMP/show2.out")" = "$url" ] ||
    lab_die "account url changed after rollover"
[ "$(val status "$LAB_TMP/show2.out")" = valid ] || lab_die "status not valid"
# a key description in show (if any) must have changed
for k in key key_type thumbprint jwk_thumbprint key_thumbprint; do
	a=$(val "$k" "$LAB_TMP/show1.out")
	b=$(val "$k" "$LAB_TMP/show2.out")
	if [ -n "$a" ] && [ "$a" = "$b" ]; then
		lab_die "show: $k unchanged after rollover ($a)"
	fi
done
# the server accepts requests signed with the new key
lab_expect 0 issue2 issue -d acct2.example.test
lab_check_cert "$LAB_STATE/certs/acct2.example.test/current" \
    "$LAB_TMP/root.pem"

# deactivate; then issuing must fail clearly and change nothing
# contact update: replaced at the CA and in account.conf
lab_expect 0 update lab_certd --email a@certd.test --email b@certd.test \
    account update
lab_expect 0 showupd lab_certd account show
[ "$(grep -c '^contact=mailto:[ab]@certd.test$' "$LAB_TMP/showupd.out")" \
    -eq 2 ] || lab_die "contacts not updated"
grep -q '^contact=mailto:lab@certd.test$' "$LAB_TMP/showupd.out" &&
    lab_die "old contact still there"

lab_expect 0 deactivate lab_certd account deactivate
cat "$LAB_TMP/deactivate.out"
lab_expect 0 show3 lab_certd account show
[ "$(val status "$LAB_TMP/show3.out")" = deactivated ] ||
    lab_die "account show does not say deactivated"
lab_snapshot "$LAB_STATE" "$LAB_TMP/snap0"
lab_expect '1|66|78' issue3 issue -d acct3.example.test
echo "issue after deactivate: exit $LAB_EXIT"
cat "$LAB_TMP/issue3.err"
lab_one_error_line issue3
grep -qi 'deactivat' "$LAB_TMP/issue3.err" ||
    lab_die "the message does not say the account is deactivated"
lab_snapshot "$LAB_STATE" "$LAB_TMP/snap1"
lab_same_snapshot "$LAB_TMP/snap0" "$LAB_TMP/snap1" "issue after deactivate"
echo "19-account: ok"
