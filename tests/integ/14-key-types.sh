#!/bin/sh
# 14-key-types - issue one certificate per --key-type and check the key in
# privkey.pem and in the certificate with openssl.
set -eu
LAB_SRC=${LAB_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
CERTD=${CERTD:-$LAB_SRC/build/certd/certd}
# shellcheck disable=SC1091
. "$LAB_SRC/tests/lab/lab.sh"
lab_init
lab_trap
lab_start
lab_root 0 >"$LAB_TMP/root.pem"

for kt in ecdsa-p256 ecdsa-p384 rsa2048 rsa3072 rsa4096; do
	case $kt in
	ecdsa-p256) want="ASN1 OID: prime256v1"; bits=256 ;;
	ecdsa-p384) want="ASN1 OID: secp384r1"; bits=384 ;;
	rsa*) want="Modulus:"; bits=${kt#rsa} ;;
	esac
	n="$kt.example.test"
	lab_expect 0 "issue-$kt" lab_certd issue --challenge http-01 \
	    --http-addr 127.0.0.1 --http-port "$LAB_HTTP_PORT" \
	    --key-type "$kt" -d "$n"
	cat "$LAB_TMP/issue-$kt.out"
	cur="$LAB_STATE/certs/$n/current"
	lab_check_cert "$cur" "$LAB_TMP/root.pem"
	openssl x509 -in "$cur/cert.pem" -noout -text >"$LAB_TMP/$kt.txt"
	grep -q "Public-Key: ($bits bit)" "$LAB_TMP/$kt.txt" ||
	    lab_die "$kt: certificate key is not $bits bit"
	grep -q "$want" "$LAB_TMP/$kt.txt" ||
	    lab_die "$kt: certificate key is not '$want'"
	openssl pkey -in "$cur/privkey.pem" -noout -text >"$LAB_TMP/$kt.key"
	grep -q "Private-Key: ($bits bit" "$LAB_TMP/$kt.key" ||
	    lab_die "$kt: private key is not $bits bit"
	grep -qi "$want" "$LAB_TMP/$kt.key" ||
	    lab_die "$kt: private key is not '$want'"
	case $kt in
	rsa*)
		grep -q 'Exponent: 65537' "$LAB_TMP/$kt.txt" ||
		    lab_die "$kt: RSA exponent is not 65537" ;;
	esac
	echo "$kt: ok"
done
lab_expect 0 listjson lab_certd list --json
"$LAB_PY" -c '
import json, sys
d = {e["name"]: e["key_type"] for e in json.load(open(sys.argv[1]))}
for kt in ("ecdsa-p256", "ecdsa-p384", "rsa2048", "rsa3072", "rsa4096"):
    assert d[kt + ".example.test"] == kt, (kt, d)
' "$LAB_TMP/listjson.out" || lab_die "list --json key_type is wrong"
echo "14-key-types: ok"
