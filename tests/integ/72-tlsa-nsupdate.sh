#!/bin/sh
# 72-tlsa-nsupdate - hooks/tlsa-nsupdate with the real nsupdate against
# tests/lab/tlsa-dns.py (RFC 2136 UPDATE for TLSA on 127.0.0.1): add is
# idempotent and uses CERTD_TLSA_TTL, del removes only its own record,
# NSUPDATE_WAIT confirms with dig, bad arguments and settings are refused
# (exit 1) before anything is sent, an unreachable server is a temporary
# failure (75), a refused update (NOTZONE) is not. Then the deploy hook
# examples: combined PEM (atomic, owner, mode), reload (with a stand-in
# systemctl), verify (against openssl s_server on 127.0.0.1).
set -eu
LAB_SRC=${LAB_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
CERTD=${CERTD:-$LAB_SRC/build/certd/certd}
# shellcheck disable=SC1091
. "$LAB_SRC/tests/lab/lab.sh"
lab_init
lab_trap
hook="$LAB_SRC/hooks/tlsa-nsupdate"
zone="$LAB_TMP/zone"
: >"$zone"
port=$(lab_ports 1)
lab_spawn tlsa-dns "$LAB_PY" "$LAB_SRC/tests/lab/tlsa-dns.py" "$zone" \
    "$port" example.test
# shellcheck disable=SC2154
dnspid=$LAB_PID_tlsa_dns
i=0
until dig +short +time=1 +tries=1 -p "$port" @127.0.0.1 \
    _25._tcp.up.example.test TLSA >/dev/null 2>&1; do
	i=$((i + 1))
	[ "$i" -lt 50 ] || lab_die "tlsa-dns.py did not start"
	kill -0 "$dnspid" || lab_die "tlsa-dns.py exited"
	sleep 0.1
done
lab_check_loopback "$dnspid"

H1=c4ff8fbefb6f16301b5b56cb88fe25a026972e4db2c30f4c8dad26f135368e2e
H2=0000000000000000000000000000000000000000000000000000000000000001
OWNER=_25._tcp.mx.example.test
export NSUPDATE_CONF="$LAB_TMP/nonexistent.conf"
export NSUPDATE_SERVER=127.0.0.1 NSUPDATE_PORT="$port"
export NSUPDATE_ZONE=example.test NSUPDATE_TIMEOUT=4 NSUPDATE_WAIT=3
export CERTD_TLSA_TTL=120

# records OWNER: the "u s m hex" lines DNS gives for OWNER, normalised
records() {
	dig +short +time=2 +tries=1 -p "$port" @127.0.0.1 "$1" TLSA |
	    tr -d ' ' | tr 'A-F' 'a-f' | sort
}

lab_expect 0 add1 "$hook" add "$OWNER" "$H1"
[ "$(records "$OWNER")" = "311$H1" ] || lab_die "add: $(records "$OWNER")"
grep -qxF "$OWNER. 120 IN TLSA 3 1 1 $H1" "$zone" ||
    lab_die "add: TTL or record wrong: $(cat "$zone")"
# again, upper case and a trailing dot: still one record
lab_expect 0 add1b "$hook" add "$OWNER." "$(echo "$H1" | tr 'a-f' 'A-F')"
[ "$(grep -c "$H1" "$zone")" -eq 1 ] || lab_die "add is not idempotent"
lab_expect 0 add2 "$hook" add "$OWNER" "$H2"
[ "$(records "$OWNER" | wc -l)" -eq 2 ] || lab_die "second add"
# a 2 1 1 record of the admin's stays untouched by del
echo "$OWNER. 120 IN TLSA 2 1 1 $H1" >>"$zone"
lab_expect 0 del1 "$hook" del "$OWNER" "$H1"
got=$(records "$OWNER" | tr '\n' ' ')
[ "$got" = "211$H1 311$H2 " ] || lab_die "del removed too much: $got"
# a record on another port is another owner
lab_expect 0 add465 "$hook" add _465._tcp.mx.example.test "$H1"
[ "$(records _465._tcp.mx.example.test)" = "311$H1" ] ||
    lab_die "port 465 record"

# refused before anything is sent: exit 1, first line names the problem
bad() {
	_l=$1
	_msg=$2
	shift 2
	cp "$zone" "$LAB_TMP/zone.before"
	lab_expect 1 "$_l" "$@"
	head -n 1 "$LAB_TMP/$_l.err" | grep -q "$_msg" ||
	    lab_die "$_l: expected \"$_msg\", got: $(head -n 1 "$LAB_TMP/$_l.err")"
	cmp -s "$zone" "$LAB_TMP/zone.before" || lab_die "$_l: zone changed"
}
bad usage usage "$hook" put "$OWNER" "$H1"
bad noargs usage "$hook"
bad owner1 "not _PORT._PROTO.HOST" "$hook" add mx.example.test "$H1"
bad owner2 "bad port label" "$hook" add _2x._tcp.mx.example.test "$H1"
bad owner2b "not _PORT._PROTO.HOST" "$hook" add _x25._tcp.mx.example.test "$H1"
bad owner3 "bad record name" "$hook" add "_25._tcp.mx;rm.example.test" "$H1"
bad owner4 "bad record name" "$hook" add "_25._tcp.mx
update delete example.test" "$H1"
bad owner5 "bad port label" "$hook" add _99999._tcp.mx.example.test "$H1"
bad data1 "bad TLSA data" "$hook" add "$OWNER" "${H1%?}"
bad data2 "bad TLSA data" "$hook" add "$OWNER" "${H1}0"
bad data3 "bad TLSA data" "$hook" add "$OWNER" "g${H1#?}"
bad data4 "bad TLSA data" "$hook" add "$OWNER" "3 1 1 $H1"
bad ttl "bad CERTD_TLSA_TTL" env CERTD_TLSA_TTL=0 "$hook" add "$OWNER" "$H1"
bad server1 "NSUPDATE_SERVER is not set" env -u NSUPDATE_SERVER "$hook" \
    add "$OWNER" "$H1"
bad server2 "bad NSUPDATE_SERVER" env NSUPDATE_SERVER='1.2.3.4;x' "$hook" \
    add "$OWNER" "$H1"
bad zone1 "bad NSUPDATE_ZONE" env NSUPDATE_ZONE='exa mple' "$hook" \
    add "$OWNER" "$H1"
# the configuration file: parsed, refused when others may write it
conf="$LAB_TMP/nsupdate.conf"
printf 'NSUPDATE_SERVER=127.0.0.1\nNSUPDATE_PORT=%s\nNSUPDATE_TTL=60\n' \
    "$port" >"$conf"
chmod 666 "$conf"
bad conf1 "writable, refused" env -u NSUPDATE_SERVER NSUPDATE_CONF="$conf" \
    "$hook" add "$OWNER" "$H1"
chmod 600 "$conf"
lab_expect 0 conf2 env -u NSUPDATE_SERVER -u NSUPDATE_PORT \
    NSUPDATE_CONF="$conf" "$hook" add _26._tcp.mx.example.test "$H1"
grep -qxF "_26._tcp.mx.example.test. 120 IN TLSA 3 1 1 $H1" "$zone" ||
    lab_die "NSUPDATE_TTL (the TXT TTL) must not change the TLSA TTL"
echo 'NSUPDATE_BOGUS=1' >>"$conf"
bad conf3 "unknown setting" env NSUPDATE_CONF="$conf" "$hook" add \
    "$OWNER" "$H1"
# the server refuses (not our zone): an error, not a retry
lab_expect 1 notzone "$hook" add _25._tcp.mx.other.test "$H1"
grep -q "update refused" "$LAB_TMP/notzone.err" || lab_die "notzone message"
# nobody listens: temporary failure
closed=$(lab_ports 1)
lab_expect 75 unreachable env NSUPDATE_PORT="$closed" NSUPDATE_TIMEOUT=2 \
    "$hook" add "$OWNER" "$H1"
head -n 1 "$LAB_TMP/unreachable.err" | grep -q "unreachable or failing" ||
    lab_die "unreachable: $(head -n 1 "$LAB_TMP/unreachable.err")"
# the server answers SERVFAIL to queries: the wait for the record fails
echo servfail >>"$zone"
lab_expect 75 notvisible env NSUPDATE_WAIT=1 "$hook" add \
    _27._tcp.mx.example.test "$H2"
grep -q "not visible" "$LAB_TMP/notvisible.err" || lab_die "wait message"
grep -v '^servfail$' "$zone" >"$zone.x" && mv "$zone.x" "$zone"

# ---- deploy hook examples
cert="$LAB_TMP/tls"
lab_mkcert "$cert"
sha=$(openssl x509 -in "$cert/cert.pem" -noout -fingerprint -sha256 |
    sed 's/.*=//' | tr -d ':' | tr 'A-F' 'a-f')
deploy_env() {
	env CERTD_ACTION=deploy CERTD_NAME=mx.example.test \
	    CERTD_CERT="$cert/cert.pem" CERTD_KEY="$cert/key.pem" \
	    CERTD_CHAIN="$cert/ca.pem" CERTD_FULLCHAIN="$cert/cert.pem" \
	    CERTD_SHA256="$sha" CERTD_TARGETS=hooks "$@"
}
# combined: key + full chain, mode 0640, atomically replaced
out="$LAB_TMP/combined"
mkdir -p "$out"
echo old >"$out/mx.example.test.pem"
ino=$(stat -c %i "$out/mx.example.test.pem")
lab_expect 0 combined deploy_env COMBINED_DIR="$out" COMBINED_GROUP=0 \
    "$LAB_SRC/hooks/deploy.d-example-combined"
cat "$cert/key.pem" "$cert/cert.pem" | cmp -s - "$out/mx.example.test.pem" ||
    lab_die "combined: content"
[ "$(stat -c '%a %u:%g' "$out/mx.example.test.pem")" = "640 0:0" ] ||
    lab_die "combined: mode/owner $(stat -c '%a %u:%g' "$out/mx.example.test.pem")"
[ "$(stat -c %i "$out/mx.example.test.pem")" != "$ino" ] ||
    lab_die "combined: written in place, not renamed"
[ -z "$(find "$out" -name '.*')" ] || lab_die "combined: temp file left"
lab_expect 1 combined-mode deploy_env COMBINED_DIR="$out" \
    COMBINED_MODE=0644 "$LAB_SRC/hooks/deploy.d-example-combined"
lab_expect 1 combined-noenv env -u CERTD_ACTION \
    "$LAB_SRC/hooks/deploy.d-example-combined"
# reload: a stand-in systemctl records what the hook asks
fake="$LAB_TMP/fakebin"
mkdir -p "$fake"
cat >"$fake/systemctl" <<EOF
#!/bin/sh
echo "\$*" >>"$LAB_TMP/systemctl.log"
case "\$*" in
"is-active --quiet stopped.service") exit 3 ;;
"reload-or-restart broken.service") exit 1 ;;
esac
exit 0
EOF
chmod 755 "$fake/systemctl"
lab_expect 0 reload deploy_env PATH="$fake:$PATH" \
    RELOAD_UNITS="nginx.service stopped.service" \
    "$LAB_SRC/hooks/deploy.d-example-reload"
grep -qx "reload-or-restart nginx.service" "$LAB_TMP/systemctl.log" ||
    lab_die "reload: nginx not reloaded"
! grep -q "reload-or-restart stopped.service" "$LAB_TMP/systemctl.log" ||
    lab_die "reload: a stopped unit was started"
lab_expect 75 reload-fail deploy_env PATH="$fake:$PATH" \
    RELOAD_UNITS="broken.service" "$LAB_SRC/hooks/deploy.d-example-reload"
lab_expect 1 reload-bad deploy_env PATH="$fake:$PATH" \
    RELOAD_UNITS="x;y.service" "$LAB_SRC/hooks/deploy.d-example-reload"
: >"$LAB_TMP/systemctl.log"
lab_expect 0 reload-other deploy_env PATH="$fake:$PATH" RELOAD_ONLY=other \
    "$LAB_SRC/hooks/deploy.d-example-reload"
[ ! -s "$LAB_TMP/systemctl.log" ] || lab_die "reload: RELOAD_ONLY ignored"
# verify: against openssl s_server with the certificate
tport=$(lab_ports 1)
lab_spawn s_server openssl s_server -accept "127.0.0.1:$tport" \
    -cert "$cert/cert.pem" -key "$cert/key.pem" -quiet -naccept 10
# shellcheck disable=SC2154
spid=$LAB_PID_s_server
i=0
until (echo | openssl s_client -connect "127.0.0.1:$tport" \
    >/dev/null 2>&1); do
	i=$((i + 1))
	[ "$i" -lt 50 ] || lab_die "s_server did not start"
	kill -0 "$spid" || lab_die "s_server exited"
	sleep 0.1
done
lab_expect 0 verify deploy_env VERIFY_PORT="$tport" VERIFY_TRIES=2 \
    "$LAB_SRC/hooks/deploy.d-example-verify"
lab_expect 75 verify-other deploy_env VERIFY_PORT="$tport" VERIFY_TRIES=1 \
    CERTD_SHA256="$H1" "$LAB_SRC/hooks/deploy.d-example-verify"
grep -q "serves $sha, not $H1" "$LAB_TMP/verify-other.err" ||
    lab_die "verify: message $(cat "$LAB_TMP/verify-other.err")"
lab_expect 1 verify-bad deploy_env VERIFY_PORT="1;x" \
    "$LAB_SRC/hooks/deploy.d-example-verify"
echo "72-tlsa-nsupdate: ok"
