# exim.sh - a private Exim for the tests, sourced after tests/lab/lab.sh.
# Postfix is installed as the real package and conflicts with Exim, so
# Debian's exim4-daemon-light is downloaded (apt-get download) and
# unpacked (dpkg -x) once, never installed: $O/exim-cache keeps the .debs,
# $O/exim-root/usr/sbin/exim4 the binary (setuid root, as packaged). The binary
# runs as root with -C and a config written at test time: loopback only,
# a free port, spool and logs in $LAB_TMP/exim.
#
# Usage (POSIX sh, set -eu, after lab_init):
#	. "$LAB_SRC/tests/lab/exim.sh"
#	exim_lab_fetch		# sets EXIM_BIN_DIR ($O/exim-root/usr/sbin)
#	exim_lab_start		# sets EXIM_CONF, EXIM_PORT, EXIM_PID
#	exim_lab_fpr		# SHA-256 (lower-case hex) of the served leaf
# The daemon is stopped by lab_cleanup (it is in LAB_PIDS).

EXIM_PKGS="exim4-daemon-light exim4-base exim4-config"

# exim_lab_fetch: unpack the Exim binary into $O/exim-root (cached), make
# sure its libraries are installed and the Debian-exim user exists.
exim_lab_fetch() {
	_o=${O:-$LAB_SRC/build}
	_root="$_o/exim-root"
	EXIM_BIN_DIR="$_root/usr/sbin"
	if [ ! -x "$EXIM_BIN_DIR/exim4" ]; then
		[ "$(id -u)" -eq 0 ] || lab_die "exim lab: needs root"
		_cache="$_o/exim-cache"
		rm -rf "$_cache" "$_root.new"
		mkdir -p "$_cache" "$_root.new"
		lab_log "downloading $EXIM_PKGS into $_cache"
		# shellcheck disable=SC2086
		if ! (cd "$_cache" && apt-get download $EXIM_PKGS \
		    >"$_cache/download.log" 2>&1); then
			# no package lists yet (a fresh machine)
			apt-get update -q >/dev/null 2>&1 || true
			# shellcheck disable=SC2086
			(cd "$_cache" && apt-get download $EXIM_PKGS \
			    >"$_cache/download.log" 2>&1) || {
				cat "$_cache/download.log" >&2
				lab_die "exim lab: apt-get download failed"
			}
		fi
		for _deb in "$_cache"/*.deb; do
			dpkg -x "$_deb" "$_cache/x"
		done
		# only the binary: -C gives it its config, and directories
		# named *.d under $O would confuse the Makefile's -include
		mkdir -p "$_root.new/usr/sbin"
		cp -p "$_cache/x/usr/sbin/exim4" "$_root.new/usr/sbin/exim4"
		rm -rf "$_cache/x" "$_root"
		mv "$_root.new" "$_root"
	fi
	[ -x "$EXIM_BIN_DIR/exim4" ] || lab_die "exim lab: no exim4 in $_root"
	_missing=$(ldd "$EXIM_BIN_DIR/exim4" | awk '/not found/ { print $1 }')
	[ -z "$_missing" ] || lab_die "exim lab: libraries missing: $_missing" \
	    "(make deps installs them: DEB_TEST in the Makefile)"
	# Debian's exim looks up its compiled-in user before reading any
	# config; exim4-base's postinst would have made it
	if ! getent group Debian-exim >/dev/null; then
		groupadd --system Debian-exim
	fi
	if ! getent passwd Debian-exim >/dev/null; then
		useradd --system -g Debian-exim -d /var/spool/exim4 -M \
		    -s /usr/sbin/nologin Debian-exim
	fi
	export EXIM_BIN_DIR
}

# exim_lab_start: write $LAB_TMP/exim/exim.conf (no TLS yet: certd
# install --configure adds it) and start the daemon in the foreground.
exim_lab_start() {
	_d="$LAB_TMP/exim"
	mkdir -p "$_d/spool"
	# the daemon runs as Debian-exim: it must reach its files
	chmod 711 "$LAB_TMP"
	chown Debian-exim:Debian-exim "$_d/spool"
	EXIM_PORT=$(lab_ports 1)
	EXIM_CONF="$_d/exim.conf"
	cat >"$EXIM_CONF" <<-EOF
	# written by tests/lab/exim.sh
	exim_path = $EXIM_BIN_DIR/exim4
	keep_environment =
	exim_user = Debian-exim
	exim_group = Debian-exim
	primary_hostname = mx.example.test
	spool_directory = $_d/spool
	log_file_path = $_d/spool/%slog
	pid_file_path = $_d/exim.pid
	local_interfaces = 127.0.0.1
	daemon_smtp_ports = $EXIM_PORT
	acl_smtp_rcpt = acl_check_rcpt

	begin acl

	acl_check_rcpt:
	  deny message = no relaying in the lab

	begin routers

	begin transports
	EOF
	chmod 644 "$EXIM_CONF"
	"$EXIM_BIN_DIR/exim4" -C "$EXIM_CONF" -bV >"$_d/bV.out" 2>&1 ||
	    { cat "$_d/bV.out" >&2; lab_die "exim lab: config test failed"; }
	lab_spawn exim "$EXIM_BIN_DIR/exim4" -C "$EXIM_CONF" -bdf
	# shellcheck disable=SC2154
	EXIM_PID=$LAB_PID_exim
	_i=0
	until ss -Hltn "sport = :$EXIM_PORT" | grep -q .; do
		if ! kill -0 "$EXIM_PID" 2>/dev/null; then
			cat "$_d/spool/paniclog" >&2 2>/dev/null || true
			lab_die "exim (pid $EXIM_PID) exited during start-up"
		fi
		_i=$((_i + 1))
		[ "$_i" -lt 100 ] || lab_die "exim does not listen on $EXIM_PORT"
		sleep 0.1
	done
	lab_check_loopback "$EXIM_PID"
	export EXIM_CONF EXIM_PORT EXIM_PID
	lab_log "exim pid $EXIM_PID on 127.0.0.1:$EXIM_PORT ($EXIM_CONF)"
}

# exim_lab_fpr: the SHA-256 fingerprint (lower-case hex, no colons) of the
# certificate the Exim daemon presents after STARTTLS; "" when none.
exim_lab_fpr() {
	echo QUIT | timeout 10 openssl s_client -starttls smtp \
	    -connect "127.0.0.1:$EXIM_PORT" -servername mx.example.test \
	    2>/dev/null | openssl x509 -noout -fingerprint -sha256 \
	    2>/dev/null | sed 's/.*=//' | tr -d ':' | tr 'A-F' 'a-f'
}

# lab_fpr_file CERT: the same for a PEM file.
lab_fpr_file() {
	openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/.*=//' |
	    tr -d ':' | tr 'A-F' 'a-f'
}
