#!/bin/sh
# 70-systemd - the units in systemd/: `systemd-analyze verify` passes with
# no message at all (warnings fail too), with @SBINDIR@ pointing at the
# built certd and the man page of Documentation= found; the hardening
# settings the issue asks for are there and score as "OK" in
# `systemd-analyze security --offline`; the timer fires at 00:00 and 12:00;
# `make install DESTDIR=...` substitutes SBINDIR and `make uninstall`
# removes the units again. Needs no running systemd (works in containers).
set -eu
LAB_SRC=${LAB_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
CERTD=${CERTD:-$LAB_SRC/build/certd/certd}
O=${O:-$LAB_SRC/build}
# shellcheck disable=SC1091
. "$LAB_SRC/tests/lab/lab.sh"
lab_init
lab_trap
command -v systemd-analyze >/dev/null 2>&1 ||
    lab_die "systemd-analyze missing (Debian package systemd)"
units="certd-renew.service certd-renew.timer certd.service"
u="$LAB_TMP/units"
mkdir -p "$u" "$LAB_TMP/man/man8"
cp "$LAB_SRC/man/certd.8" "$LAB_TMP/man/man8/"
sbindir=$(cd "$(dirname "$CERTD")" && pwd)
for f in $units; do
	sed "s|@SBINDIR@|$sbindir|g" "$LAB_SRC/systemd/$f" >"$u/$f"
	! grep -q '@[A-Z]*@' "$u/$f" || lab_die "$f: unsubstituted @VAR@"
done

# verify (needs the binary and `man certd` for Documentation=man:certd(8))
# analyze_quiet LABEL CMD...: CMD must exit 0 and print nothing
analyze_quiet() {
	_l=$1
	shift
	_rc=0
	(cd "$u" && MANPATH="$LAB_TMP/man" "$@") >"$LAB_TMP/$_l.txt" 2>&1 ||
	    _rc=$?
	if [ "$_rc" -ne 0 ] || [ -s "$LAB_TMP/$_l.txt" ]; then
		cat "$LAB_TMP/$_l.txt" >&2
		lab_die "$_l: exit $_rc or messages"
	fi
}
# shellcheck disable=SC2086
analyze_quiet verify systemd-analyze verify $units

# verify can fail: a unit with a typo and one with a missing binary
sed 's/^ProtectSystem=/ProtectSystm=/' "$u/certd-renew.service" \
    >"$u/typo.service"
rc=0
(cd "$u" && MANPATH="$LAB_TMP/man" systemd-analyze verify typo.service) \
    >"$LAB_TMP/typo.txt" 2>&1 || rc=$?
grep -q "Unknown key" "$LAB_TMP/typo.txt" ||
    lab_die "verify did not report the typo"
sed "s|$sbindir/certd|/nonexistent/certd|" "$u/certd-renew.service" \
    >"$u/nobin.service"
rc=0
(cd "$u" && MANPATH="$LAB_TMP/man" systemd-analyze verify nobin.service) \
    >"$LAB_TMP/nobin.txt" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || lab_die "verify accepted a missing ExecStart binary"
rm -f "$u/typo.service" "$u/nobin.service"

# has UNIT LINE: the unit file has exactly this line
has() {
	grep -qxF "$2" "$u/$1" || lab_die "$1: missing \"$2\""
}
has certd-renew.service "Type=oneshot"
has certd-renew.service "ExecStart=$sbindir/certd renew"
has certd.service "ExecStart=$sbindir/certd --config /etc/certd/serve.conf --state-dir /var/lib/certd-serve serve"
has certd.service "User=certd"
has certd.service "CapabilityBoundingSet="
has certd.service "MemoryDenyWriteExecute=yes"
for f in certd-renew.service certd.service; do
	has "$f" "ProtectSystem=strict"
	has "$f" "NoNewPrivileges=yes"
	has "$f" "PrivateTmp=yes"
	has "$f" "ProtectHome=yes"
	has "$f" "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6"
	has "$f" "SystemCallFilter=@system-service"
	has "$f" "UMask=0077"
done
has certd-renew.service "ReadWritePaths=/var/lib/certd /etc/certd"
has certd-renew.timer "OnCalendar=*-*-* 00,12:00:00"
has certd-renew.timer "RandomizedDelaySec=1h"
has certd-renew.timer "Persistent=true"
has certd-renew.timer "WantedBy=timers.target"

# the exposure scores (0 safe .. 10 unsafe); renew runs as root on purpose
sec() {
	(cd "$u" && systemd-analyze security --offline=yes \
	    --threshold="$2" "$1") >"$LAB_TMP/security-$1.txt" 2>&1 || {
		tail -n 40 "$LAB_TMP/security-$1.txt" >&2
		lab_die "$1: exposure above $2"
	}
	tail -n 1 "$LAB_TMP/security-$1.txt"
}
sec certd.service 20
sec certd-renew.service 50

# twice a day: the next two elapses of the calendar are 00:00 and 12:00
systemd-analyze calendar --iterations=2 '*-*-* 00,12:00:00' \
    >"$LAB_TMP/cal.txt"
grep -q 'Next elapse: .* 00:00:00\|Next elapse: .* 12:00:00' \
    "$LAB_TMP/cal.txt" || lab_die "calendar: $(cat "$LAB_TMP/cal.txt")"
n=$(grep -c ' 00:00:00 \| 12:00:00 ' "$LAB_TMP/cal.txt" || true)
[ "$n" -ge 2 ] || lab_die "timer does not fire at 00:00 and 12:00"

# make install / uninstall into a DESTDIR
d="$LAB_TMP/dest"
unitdir=/lib/systemd/system
make -s -C "$LAB_SRC" O="$O" DESTDIR="$d" PREFIX=/usr/local \
    UNITDIR="$unitdir" install >"$LAB_TMP/install.txt" 2>&1 || {
	cat "$LAB_TMP/install.txt" >&2
	lab_die "make install failed"
}
for f in $units; do
	[ -f "$d$unitdir/$f" ] || lab_die "make install: $f missing"
	m=$(stat -c '%a' "$d$unitdir/$f")
	[ "$m" = 644 ] || lab_die "make install: $f has mode $m"
done
grep -qxF "ExecStart=/usr/local/sbin/certd renew" \
    "$d$unitdir/certd-renew.service" ||
    lab_die "make install: SBINDIR not substituted"
! grep -q '@SBINDIR@' "$d$unitdir"/* || lab_die "@SBINDIR@ left"
[ -x "$d/usr/local/libexec/certd/hooks/tlsa-nsupdate" ] ||
    lab_die "make install: tlsa-nsupdate missing"
ls "$d"/usr/lib/sysusers.d/certd.conf >/dev/null ||
    lab_die "make install: sysusers file missing"
for f in certd.conf postfix-main.cf exim-tls.conf dovecot-ssl.conf; do
	cmp -s "$LAB_SRC/templates/$f" \
	    "$d/usr/local/share/doc/certd/examples/$f" ||
	    lab_die "make install: example $f missing or different"
done
make -s -C "$LAB_SRC" O="$O" DESTDIR="$d" PREFIX=/usr/local \
    UNITDIR="$unitdir" uninstall >"$LAB_TMP/uninstall.txt" 2>&1 || {
	cat "$LAB_TMP/uninstall.txt" >&2
	lab_die "make uninstall failed"
}
for f in $units; do
	[ ! -e "$d$unitdir/$f" ] || lab_die "make uninstall: $f left"
done
[ ! -e "$d/usr/local/libexec/certd/hooks/tlsa-nsupdate" ] ||
    lab_die "make uninstall: tlsa-nsupdate left"
[ ! -e "$d/usr/local/share/doc/certd" ] ||
    lab_die "make uninstall: share/doc/certd left"
echo "70-systemd: ok"
