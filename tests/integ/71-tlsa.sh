#!/bin/sh
# 71-tlsa - `certd tlsa` on a certificate from pebble: the TLSA 3 1 1 data
# equals `openssl x509 -pubkey | openssl pkey -pubin -outform DER |
# sha256sum`, one record per DNS name (IP addresses get none), --port and
# --proto name the owner; without key_rollover = dane nothing is written.
# With the [cert] example of templates/certd.conf (key_rollover = dane) a
# next key is staged (0600), printed after the current one, kept on later
# runs; --check asks the test DNS (tests/lab/tlsa-dns.py, res_query) which
# records are published (exit 75 until all are); a running renewal's lock
# makes staging fail cleanly. The template parses with every example
# line uncommented.
set -eu
LAB_SRC=${LAB_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
CERTD=${CERTD:-$LAB_SRC/build/certd/certd}
# shellcheck disable=SC1091
. "$LAB_SRC/tests/lab/lab.sh"
lab_init
lab_trap
lab_start
name=mx.example.test
lab_expect 0 issue lab_certd issue --challenge http-01 \
    --http-addr 127.0.0.1 --http-port "$LAB_HTTP_PORT" \
    -d "$name" -d smtp.example.test -d 127.0.0.1
cdir="$LAB_STATE/certs/$name"
cur="$cdir/current"

# spki_hex PEM-CERT | spki_key KEY: the openssl CLI pipeline
spki_hex() {
	openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin \
	    -outform DER | sha256sum | cut -d' ' -f1
}
spki_key() {
	openssl pkey -in "$1" -pubout | openssl pkey -pubin -outform DER |
	    sha256sum | cut -d' ' -f1
}
h0=$(spki_hex "$cur/cert.pem")
[ "$h0" = "$(spki_key "$cur/privkey.pem")" ] || lab_die "key/cert differ"

# plain: current key only, one line per DNS name, state dir untouched
lab_snapshot "$LAB_STATE" "$LAB_TMP/snap0"
lab_expect 0 tlsa lab_certd tlsa --name "$name"
printf '_25._tcp.%s. IN TLSA 3 1 1 %s\n' "$name" "$h0" \
    smtp.example.test "$h0" | sort >"$LAB_TMP/want"
sort "$LAB_TMP/tlsa.out" | cmp -s - "$LAB_TMP/want" || {
	diff -u "$LAB_TMP/want" "$LAB_TMP/tlsa.out" >&2 || true
	lab_die "certd tlsa output"
}
lab_snapshot "$LAB_STATE" "$LAB_TMP/snap1"
lab_same_snapshot "$LAB_TMP/snap0" "$LAB_TMP/snap1" "certd tlsa (no dane)"
[ ! -e "$cdir/next.key" ] || lab_die "next key staged without dane"
lab_expect 0 tlsa465 lab_certd tlsa --name "$name" --port 465 --proto tcp
grep -c "^_465\._tcp\..* IN TLSA 3 1 1 $h0\$" "$LAB_TMP/tlsa465.out" |
    grep -qx 2 || lab_die "--port 465: $(cat "$LAB_TMP/tlsa465.out")"
lab_expect 0 tlsaudp lab_certd tlsa --name "$name" --port 853 --proto udp
grep -q "^_853\._udp\.$name\. IN TLSA 3 1 1 $h0\$" "$LAB_TMP/tlsaudp.out" ||
    lab_die "--proto udp"

# errors: one line, documented exit status, nothing printed on stdout
lab_expect 66 nosuch lab_certd tlsa --name nosuch.example.test
lab_one_error_line nosuch
[ ! -s "$LAB_TMP/nosuch.out" ] || lab_die "output for a missing cert"
lab_expect 64 noname lab_certd tlsa
lab_one_error_line noname
lab_expect 64 badproto lab_certd tlsa --name "$name" --proto icmp
lab_expect 64 badport lab_certd tlsa --name "$name" --port 0
lab_expect 64 badname lab_certd tlsa --name ../etc
lab_expect 64 extra lab_certd tlsa --name "$name" extra
lab_expect 64 wrongcmd lab_certd list --port 25

# key_rollover = dane from the template's example section
conf="$LAB_TMP/certd.conf"
sed -n '/^;\[cert mx\.example\.org\]/,/^;$/p' \
    "$LAB_SRC/templates/certd.conf" | sed 's/^;//' |
    sed "s/mx\.example\.org/$name/; s/example\.org/example.test/g" |
    sed '/^install/d; /^http_port/d' >"$LAB_TMP/section"
grep -qx 'key_rollover = dane' "$LAB_TMP/section" ||
    lab_die "template: no key_rollover = dane example"
grep -qx "\[cert $name\]" "$LAB_TMP/section" || lab_die "template section"
cat "$LAB_TMP/section" >>"$conf"
lab_expect 0 stage lab_certd tlsa --name "$name"
grep -q "staged a next ecdsa-p256 key" "$LAB_TMP/stage.err" ||
    lab_die "no staging notice: $(cat "$LAB_TMP/stage.err")"
[ -f "$cdir/next.key" ] || lab_die "no next.key"
[ "$(stat -c '%a' "$cdir/next.key")" = 600 ] || lab_die "next.key mode"
[ "$(stat -c '%a' "$cdir/next.state")" = 600 ] || lab_die "next.state mode"
h1=$(spki_key "$cdir/next.key")
[ "$h1" != "$h0" ] || lab_die "next key = current key"
grep -qx "spki=$h1" "$cdir/next.state" || lab_die "next.state spki"
for n in "$name" smtp.example.test; do
	printf '_25._tcp.%s. IN TLSA 3 1 1 %s\n_25._tcp.%s. IN TLSA 3 1 1 %s\n' \
	    "$n" "$h0" "$n" "$h1"
done >"$LAB_TMP/want2"
cmp -s "$LAB_TMP/want2" "$LAB_TMP/stage.out" || {
	diff -u "$LAB_TMP/want2" "$LAB_TMP/stage.out" >&2 || true
	lab_die "dane: output"
}
# the current version is untouched; a second run stages nothing new
[ "$(spki_hex "$cur/cert.pem")" = "$h0" ] || lab_die "current changed"
lab_snapshot "$LAB_STATE" "$LAB_TMP/snap2"
lab_expect 0 stage2 lab_certd -v tlsa --name "$name"
cmp -s "$LAB_TMP/stage.out" "$LAB_TMP/stage2.out" || lab_die "second run"
! grep -q "staged a next" "$LAB_TMP/stage2.err" || lab_die "staged again"
grep -q "next key staged" "$LAB_TMP/stage2.err" || lab_die "-v state line"
lab_snapshot "$LAB_STATE" "$LAB_TMP/snap3"
lab_same_snapshot "$LAB_TMP/snap2" "$LAB_TMP/snap3" "certd tlsa (staged)"

# --check asks DNS (tests/lab/tlsa-dns.py serves the zone file)
zone="$LAB_TMP/zone"
: >"$zone"
dnsport=$(lab_ports 1)
lab_spawn tlsa-dns "$LAB_PY" "$LAB_SRC/tests/lab/tlsa-dns.py" "$zone" \
    "$dnsport"
i=0
until dig +short +time=1 +tries=1 -p "$dnsport" @127.0.0.1 \
    "_25._tcp.$name" TLSA >/dev/null 2>&1; do
	i=$((i + 1))
	[ "$i" -lt 50 ] || lab_die "tlsa-dns.py did not start"
	sleep 0.1
done
# shellcheck disable=SC2154
lab_check_loopback "$LAB_PID_tlsa_dns"
chk() {
	lab_certd tlsa --name "$name" --check --dns-server "127.0.0.1:$dnsport"
}
# count LABEL MARK: lines of LABEL.out ending in "; MARK"
count() {
	grep -c "^_25\._tcp\..* IN TLSA 3 1 1 [0-9a-f]\{64\} ; $2\$" \
	    "$LAB_TMP/$1.out" || true
}
lab_expect 75 check0 chk
lab_one_error_line check0
grep -q "4 of 4 TLSA records are not in DNS" "$LAB_TMP/check0.err" ||
    lab_die "check0: $(cat "$LAB_TMP/check0.err")"
[ "$(count check0 missing)" = 4 ] || lab_die "check0: $(cat "$LAB_TMP/check0.out")"
# the current key's records only (the output of the first `certd tlsa`)
cp "$LAB_TMP/tlsa.out" "$zone"
lab_expect 75 check1 chk
if [ "$(count check1 published)" != 2 ] ||
    [ "$(count check1 missing)" != 2 ]; then
	lab_die "check1: $(cat "$LAB_TMP/check1.out")"
fi
grep -q "$h1 ; missing\$" "$LAB_TMP/check1.out" || lab_die "check1: next"
# everything `certd tlsa` printed is published
cp "$LAB_TMP/stage.out" "$zone"
lab_expect 0 check2 chk
[ "$(count check2 published)" = 4 ] || lab_die "check2: $(cat "$LAB_TMP/check2.out")"
# DNS fails: unavailable (69), one line
echo servfail >>"$zone"
lab_expect 69 check3 chk
lab_one_error_line check3
lab_expect 78 check4 lab_certd tlsa --name "$name" --check \
    --dns-server "[::1]:53"

# staging waits for nobody: a held lock is a temporary failure (75)
rm -f "$cdir/next.key" "$cdir/next.state"
lab_snapshot "$LAB_STATE" "$LAB_TMP/snap4"
"$LAB_PY" -c 'import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY)
fcntl.flock(fd, fcntl.LOCK_EX)
open(sys.argv[2], "w").close()
time.sleep(30)' "$LAB_STATE" "$LAB_TMP/locked" &
lockpid=$!
LAB_PIDS="$LAB_PIDS $lockpid"
i=0
while [ ! -e "$LAB_TMP/locked" ]; do
	i=$((i + 1))
	[ "$i" -lt 100 ] || lab_die "lock holder did not start"
	sleep 0.1
done
lab_expect 75 locked lab_certd tlsa --name "$name"
lab_one_error_line locked
lab_kill "$lockpid"
lab_snapshot "$LAB_STATE" "$LAB_TMP/snap5"
lab_same_snapshot "$LAB_TMP/snap4" "$LAB_TMP/snap5" "certd tlsa (locked)"

# a damaged next.state is an error, never guessed at
lab_expect 0 stage3 lab_certd tlsa --name "$name"
echo "spki=zz" >"$cdir/next.state"
lab_expect 76 damaged lab_certd tlsa --name "$name"
lab_one_error_line damaged

# the template parses with every example uncommented (config error: 78)
sed 's/^;//' "$LAB_SRC/templates/certd.conf" >"$LAB_TMP/full.conf"
chmod 600 "$LAB_TMP/full.conf"
lab_expect 66 template "$CERTD" --config "$LAB_TMP/full.conf" \
    --state-dir "$LAB_STATE" tlsa --name not-there.example.test
lab_one_error_line template
cp "$LAB_TMP/full.conf" "$LAB_TMP/bad.conf"
printf '[certd]\ntlsa_hook = relative/path\n' >>"$LAB_TMP/bad.conf"
lab_expect 78 badhook "$CERTD" --config "$LAB_TMP/bad.conf" \
    --state-dir "$LAB_STATE" tlsa --name "$name"
echo "71-tlsa: ok"
