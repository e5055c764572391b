#!/bin/sh
# 73-dane-rollover - key_rollover = dane end to end with pebble and the
# test DNS (tests/lab/tlsa-dns.py): `certd renew` keeps the current key
# while the staged next key's TLSA record is missing from DNS or has been
# there for less than the margin (2 x tlsa_ttl), restarts the clock when
# the record disappears, and only then switches to the staged key and
# stages a new one. Time is moved with CERTD_FAKE_NOW; every renewal is a
# real ACME run (--force).
set -eu
LAB_SRC=${LAB_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
CERTD=${CERTD:-$LAB_SRC/build/certd/certd}
# shellcheck disable=SC1091
. "$LAB_SRC/tests/lab/lab.sh"
lab_init
lab_trap
lab_start
name=mx.example.test
cdir="$LAB_STATE/certs/$name"
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
cat >>"$LAB_CONF" <<EOF
[certd]
dns_server = 127.0.0.1:$dnsport
tlsa_ttl = 60
[cert $name]
domain = $name
challenge = http-01
http_addr = 127.0.0.1
http_port = $LAB_HTTP_PORT
key_rollover = dane
EOF

spki() {
	openssl pkey -in "$1" -pubout | openssl pkey -pubin -outform DER |
	    sha256sum | cut -d' ' -f1
}
t0=$(date +%s)
# renew_at LABEL DT: a forced renewal at t0 + DT
renew_at() {
	lab_expect 0 "$1" env CERTD_FAKE_NOW=$((t0 + $2)) "$CERTD" \
	    --config "$LAB_CONF" --state-dir "$LAB_STATE" \
	    --server "$LAB_DIR_URL" --ca-bundle "$LAB_CA" --agree-tos \
	    renew --force --name "$name"
}
# publish HEX...: the zone holds exactly these 3 1 1 records for the name
publish() {
	: >"$zone"
	for _h in "$@"; do
		echo "_25._tcp.$name. 60 IN TLSA 3 1 1 $_h" >>"$zone"
	done
}
current() {
	spki "$cdir/current/privkey.pem"
}

# the first renewal issues the declared certificate
renew_at first 0
k0=$(current)
publish "$k0"
lab_expect 0 tlsa lab_certd tlsa --name "$name"
[ -f "$cdir/next.key" ] || lab_die "no next key staged"
n1=$(spki "$cdir/next.key")
grep -qx "_25._tcp.$name. IN TLSA 3 1 1 $n1" "$LAB_TMP/tlsa.out" ||
    lab_die "certd tlsa does not show the next key"

# not in DNS: the current key is reused
renew_at absent 5
[ "$(current)" = "$k0" ] || lab_die "switched before the record was published"
# published: the margin (2 x 60 s) starts
publish "$k0" "$n1"
renew_at seen 10
[ "$(current)" = "$k0" ] || lab_die "switched at once"
renew_at early 129
[ "$(current)" = "$k0" ] || lab_die "switched before the margin"
# the record goes away: the clock stops
publish "$k0"
renew_at gone 140
[ "$(current)" = "$k0" ] || lab_die "switched without the record"
publish "$k0" "$n1"
renew_at back 150
renew_at early2 269
[ "$(current)" = "$k0" ] || lab_die "the margin was not restarted"
# seen for the margin: the switch, and a new next key
renew_at switch 271
[ "$(current)" = "$n1" ] || lab_die "no switch to the staged key"
[ -f "$cdir/next.key" ] || lab_die "no new next key after the switch"
n2=$(spki "$cdir/next.key")
if [ "$n2" = "$n1" ] || [ "$n2" = "$k0" ]; then
	lab_die "new next key reused"
fi
grep -qx "retired=$k0" "$cdir/next.state" || lab_die "old key not retired"
lab_expect 0 tlsa2 lab_certd tlsa --name "$name"
for h in "$n1" "$n2"; do
	grep -q "IN TLSA 3 1 1 $h\$" "$LAB_TMP/tlsa2.out" ||
	    lab_die "certd tlsa after the switch: $(cat "$LAB_TMP/tlsa2.out")"
done
# the new next key is not published: the next renewal keeps n1
renew_at after 400
[ "$(current)" = "$n1" ] || lab_die "switched to an unpublished key"
echo "73-dane-rollover: ok"
