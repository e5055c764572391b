#!/bin/sh
# 13-dns01 - issue with dns-01 through a generated hook that sets TXT records
# in pebble-challtestsrv; includes a wildcard name. Checks the hook contract
# (argv, CERTD_* environment) and that every record was deleted again.
set -eu
LAB_SRC=${LAB_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
CERTD=${CERTD:-$LAB_SRC/build/certd/certd}
# shellcheck disable=SC1091
. "$LAB_SRC/tests/lab/lab.sh"
lab_init
lab_trap
lab_start
lab_root 0 >"$LAB_TMP/root.pem"
hook="$LAB_TMP/dns-hook"
hlog="$LAB_TMP/hook-calls.txt"
: >"$hlog"
lab_dns_hook "$hook" "$hlog"

lab_expect 0 issue lab_certd issue --challenge dns-01 --dns-hook "$hook" \
    -d dns.example.test -d '*.dns.example.test' -d other.example.test
cat "$LAB_TMP/issue.out"
cat "$hlog"
grep -q '^certd: dns.example.test: issued, serial ' "$LAB_TMP/issue.out" ||
    lab_die "no 'issued' line"
cur="$LAB_STATE/certs/dns.example.test/current"
lab_check_cert "$cur" "$LAB_TMP/root.pem"
lab_has_san "$cur/cert.pem" DNS:dns.example.test
lab_has_san "$cur/cert.pem" 'DNS:*.dns.example.test'
lab_has_san "$cur/cert.pem" DNS:other.example.test

# three authorizations: three adds, three dels, with CERTD_* set
adds=$(grep -c '^add _acme-challenge\.' "$hlog" || true)
dels=$(grep -c '^del _acme-challenge\.' "$hlog" || true)
[ "$adds" -eq 3 ] || lab_die "hook add called $adds times, want 3"
[ "$dels" -eq 3 ] || lab_die "hook del called $dels times, want 3"
grep -q '^add _acme-challenge\.dns\.example\.test [A-Za-z0-9_-]\{43\} action=add txt=_acme-challenge\.dns\.example\.test$' "$hlog" ||
    lab_die "hook arguments/environment not as documented"
grep -q '^add _acme-challenge\.other\.example\.test ' "$hlog" ||
    lab_die "no hook call for other.example.test"
# nothing is left in DNS
for n in dns.example.test other.example.test; do
	txt=$(dig +short +time=2 +tries=2 @127.0.0.1 -p "$LAB_DNS_PORT" TXT \
	    "_acme-challenge.$n")
	[ -z "$txt" ] || lab_die "TXT record left for $n: $txt"
done
# a hook that fails for one name: certd fails with one line, cleans up the
# record it did add, and leaves the state directory alone
cat >"$LAB_TMP/picky-hook" <<EOF2
#!/bin/sh
case \$2 in
*refused*) echo "picky hook: no" >&2; exit 3 ;;
esac
exec '$hook' "\$@"
EOF2
chmod 755 "$LAB_TMP/picky-hook"
: >"$hlog"
lab_snapshot "$LAB_STATE" "$LAB_TMP/snap0"
rc=0
lab_certd issue --challenge dns-01 --dns-hook "$LAB_TMP/picky-hook" \
    -d aaa.example.test -d refused.example.test \
    >"$LAB_TMP/picky.out" 2>"$LAB_TMP/picky.err" || rc=$?
echo "failing hook: exit $rc: $(cat "$LAB_TMP/picky.err")"
cat "$hlog"
[ "$rc" -ne 0 ] || lab_die "issue with a failing hook succeeded"
lab_one_error_line picky
grep -q 'refused.example.test' "$LAB_TMP/picky.err" ||
    lab_die "the error does not name refused.example.test"
lab_snapshot "$LAB_STATE" "$LAB_TMP/snap1"
lab_same_snapshot "$LAB_TMP/snap0" "$LAB_TMP/snap1" "failing hook"
if grep -q '^add _acme-challenge\.aaa\.example\.test ' "$hlog"; then
	grep -q '^del _acme-challenge\.aaa\.example\.test ' "$hlog" ||
	    lab_die "the record added for aaa.example.test was not deleted"
fi
txt=$(dig +short +time=2 +tries=2 @127.0.0.1 -p "$LAB_DNS_PORT" TXT \
    _acme-challenge.aaa.example.test)
[ -z "$txt" ] || lab_die "TXT record left for aaa.example.test: $txt"
echo "13-dns01: ok"
