#!/usr/bin/env python3
# revlab-json.py FILE [ASSERTION]... - check `certd check --json` output:
# FILE holds exactly one JSON object with every field of the contract, well
# formed (status, source, RFC 3339 UTC times, valid_until not before
# checked_at, reason null unless revoked, detail set for unknown); then
# each ASSERTION holds:
#   key=VALUE  equal (as a string; "null" means JSON null)
#   key=*      present and not null
#   key~REGEX  matches (case-insensitive search)
#   key#=HEX   same number in hex (colons, case, leading zeros ignored)
# Prints every problem found and exits 1 if any; else prints "status: ",
# "source: " and "detail: " lines.
import json
import re
import sys

FIELDS = ["status", "source", "reason", "revoked_at", "serial", "subject",
          "issuer", "fingerprint_sha256", "checked_at", "valid_until",
          "detail"]
STATUS = ["good", "revoked", "unknown"]
SOURCES = ["crl", "ocsp", "stapled", "cache", "none"]
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
errors = []


def hexnorm(v):
    return re.sub(r"[:\s]", "", str(v)).lower().lstrip("0")


try:
    text = open(sys.argv[1], encoding="utf-8").read()
    obj = json.loads(text)
except (OSError, ValueError) as e:
    print("not one JSON object: %s" % e)
    sys.exit(1)
if not isinstance(obj, dict):
    print("not a JSON object")
    sys.exit(1)

for k in FIELDS:
    if k not in obj:
        errors.append("field %s missing" % k)
st = obj.get("status")
if st not in STATUS:
    errors.append("status %r not one of %s" % (st, STATUS))
if obj.get("source") not in SOURCES:
    errors.append("source %r not one of %s" % (obj.get("source"), SOURCES))
for k in ("checked_at", "valid_until", "revoked_at"):
    v = obj.get(k)
    if v is not None and (not isinstance(v, str) or not RFC3339.match(v)):
        errors.append("%s %r is not RFC 3339 UTC" % (k, v))
if obj.get("checked_at") is None:
    errors.append("checked_at is null")
elif isinstance(obj.get("valid_until"), str) and \
        RFC3339.match(obj["valid_until"]) and \
        RFC3339.match(str(obj["checked_at"])) and \
        obj["valid_until"][:19] < obj["checked_at"][:19]:
    errors.append("valid_until %s is before checked_at %s" %
                  (obj["valid_until"], obj["checked_at"]))
if st == "revoked":
    if obj.get("revoked_at") is None:
        errors.append("revoked but revoked_at is null")
    if obj.get("reason") is None:
        errors.append("revoked but reason is null")
else:
    if obj.get("reason") is not None:
        errors.append("reason %r although not revoked" % obj.get("reason"))
    if obj.get("revoked_at") is not None:
        errors.append("revoked_at %r although not revoked" %
                      obj.get("revoked_at"))
if st == "unknown" and not obj.get("detail"):
    errors.append("unknown without a detail")
for k in ("serial", "fingerprint_sha256"):
    v = obj.get(k)
    if not isinstance(v, str) or not re.match(r"^[0-9A-Fa-f:]+$", v):
        errors.append("%s %r is not hex" % (k, v))

for a in sys.argv[2:]:
    m = re.match(r"^([A-Za-z_0-9]+)(=|~|#=)(.*)$", a, re.S)
    if not m:
        errors.append("bad assertion %r" % a)
        continue
    k, op, want = m.groups()
    v = obj.get(k)
    if op == "=" and want == "*":
        ok = v is not None
    elif op == "=":
        ok = (v is None and want == "null") or \
            (v is not None and str(v) == want)
    elif op == "~":
        ok = v is not None and re.search(want, str(v), re.I) is not None
    else:
        ok = v is not None and hexnorm(v) == hexnorm(want)
    if not ok:
        errors.append("%s is %r, want %s%s" % (k, v, op, want))

for e in errors:
    print("json: " + e)
if errors:
    sys.exit(1)
# on success, the answer in short (tests show it without another parse)
print("status: %s" % obj.get("status"))
print("source: %s" % obj.get("source"))
print("detail: %s" % obj.get("detail"))
