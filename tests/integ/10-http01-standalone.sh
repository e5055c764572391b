#!/bin/sh
# 10-http01-standalone - issue with http-01 served by certd itself, against a
# pebble that keeps its default 5% badNonce rejection (so certd's retry is
# exercised), six times; verify chain, key, modes, list and list --json.
set -eu
LAB_SRC=${LAB_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
CERTD=${CERTD:-$LAB_SRC/build/certd/certd}
# shellcheck disable=SC1091
. "$LAB_SRC/tests/lab/lab.sh"
lab_init
lab_trap
lab_start nonce=default
# issuing maps OpenSSL and libc, not libcurl (loaded by revocation fetches
# only): the process stays small
if ldd "$CERTD" | grep -q 'libcurl'; then
	lab_die "$CERTD is linked with libcurl"
fi
lab_root 0 >"$LAB_TMP/root.pem"

# issue LABEL ARGS...
issue() {
	_l=$1
	shift
	lab_expect 0 "issue-$_l" lab_certd -v issue --challenge http-01 \
	    --http-addr 127.0.0.1 --http-port "$LAB_HTTP_PORT" "$@"
}

issue web -d web.example.test -d mail.example.test
out=$(cat "$LAB_TMP/issue-web.out")
echo "$out"
echo "$out" | grep -q '^certd: web.example.test: issued, serial [0-9A-Fa-f:]*, expires [0-9]\{4\}-[0-9][0-9]-[0-9][0-9]$' ||
    lab_die "unexpected issue output: $out"
cur="$LAB_STATE/certs/web.example.test/current"
lab_check_cert "$cur" "$LAB_TMP/root.pem"
lab_has_san "$cur/cert.pem" DNS:web.example.test
lab_has_san "$cur/cert.pem" DNS:mail.example.test
[ -s "$cur/meta" ] || lab_die "$cur/meta missing"
# the serial printed is the certificate's
serial=$(lab_serial "$cur/cert.pem")
pserial=$(echo "$out" | sed 's/.*serial \([^,]*\),.*/\1/' | tr -d ':' |
    tr 'A-F' 'a-f' | sed 's/^0*//')
[ "$serial" = "$pserial" ] || lab_die "printed serial $pserial != $serial"
# certd's listener is gone after the run
if ss -Hltn "sport = :$LAB_HTTP_PORT" | grep -q .; then
	lab_die "something still listens on $LAB_HTTP_PORT"
fi

# more certificates, so that at least some badNonce errors are likely
i=1
while [ "$i" -le 5 ]; do
	issue "n$i" -d "n$i.example.test" -d "alt$i.example.test"
	lab_check_cert "$LAB_STATE/certs/n$i.example.test/current" \
	    "$LAB_TMP/root.pem"
	i=$((i + 1))
done
# a second issue for the same name replaces current
old=$(lab_serial "$cur/cert.pem")
issue web2 -d web.example.test -d mail.example.test
new=$(lab_serial "$cur/cert.pem")
[ "$old" != "$new" ] || lab_die "re-issue kept the old certificate"
lab_check_cert "$cur" "$LAB_TMP/root.pem"

# private keys anywhere in the state directory are readable by root only
grep -rl 'PRIVATE KEY' "$LAB_STATE" >"$LAB_TMP/keyfiles"
[ -s "$LAB_TMP/keyfiles" ] || lab_die "no private keys found in the state dir"
while IFS= read -r f; do
	m=$(stat -c '%a' "$f")
	case $m in
	600 | 400) ;;
	*) lab_die "$f has mode $m" ;;
	esac
done <"$LAB_TMP/keyfiles"

lab_expect 0 list lab_certd list
cat "$LAB_TMP/list.out"
for n in web.example.test n1.example.test n5.example.test; do
	grep -q "^${n}[[:space:]]" "$LAB_TMP/list.out" ||
	    lab_die "certd list does not show $n"
done
grep -qi "$new" "$LAB_TMP/list.out" ||
    lab_die "certd list does not show serial $new"

lab_expect 0 listjson lab_certd list --json
"$LAB_PY" - "$LAB_TMP/listjson.out" "$new" "$cur/cert.pem" <<'PY' ||
import hashlib, json, subprocess, sys, time
path, serial, certfile = sys.argv[1:4]
with open(path) as f:
    data = json.load(f)
assert isinstance(data, list), "not an array"
names = sorted(e["name"] for e in data)
want = sorted(["web.example.test"] + ["n%d.example.test" % i for i in range(1, 6)])
assert names == want, "names %r != %r" % (names, want)
e = [e for e in data if e["name"] == "web.example.test"][0]
for k in ("name", "names", "key_type", "not_before", "not_after",
          "days_left", "issuer", "serial", "sha256", "version"):
    assert k in e, "key %s missing" % k
assert sorted(e["names"]) == ["mail.example.test", "web.example.test"], e["names"]
s = e["serial"].lower().replace(":", "").lstrip("0")
assert s == serial, "serial %s != %s" % (s, serial)
for k in ("not_before", "not_after"):
    v = e[k]
    assert len(v) == 20 and v[4] == "-" and v[10] == "T" and v[-1] == "Z", \
        "%s not RFC 3339 UTC: %r" % (k, v)
assert isinstance(e["days_left"], int) and e["days_left"] > 0, e["days_left"]
assert "Pebble Intermediate CA" in e["issuer"], e["issuer"]
assert e["key_type"] == "ecdsa-p256", e["key_type"]
assert str(e["version"]).lstrip("v0") == "2", "version %r" % e["version"]
der = subprocess.run(["openssl", "x509", "-in", certfile, "-outform", "DER"],
                     capture_output=True).stdout
fp = hashlib.sha256(der).hexdigest()
assert e["sha256"].lower().replace(":", "") == fp, "sha256 %s != %s" % (e["sha256"], fp)
end = subprocess.run(["openssl", "x509", "-in", certfile, "-noout", "-enddate"],
                     capture_output=True, text=True).stdout.strip()
t = time.strptime(end.split("=", 1)[1], "%b %d %H:%M:%S %Y GMT")
assert time.strftime("%Y-%m-%dT%H:%M:%SZ", t) == e["not_after"], \
    "not_after %s != %s" % (e["not_after"], end)
print("json ok:", e["name"], e["not_after"], end)
PY
    lab_die "certd list --json is wrong"
echo "10-http01-standalone: ok"
