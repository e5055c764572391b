# dovecot.sh - a private Dovecot for the tests, sourced after lab.sh.
# Uses the dovecot-imapd package (make deps installs it; the system
# service is never started by the tests) as a private instance: its own
# dovecot.conf, base_dir and state_dir in $LAB_TMP/dovecot, IMAPS on a
# free port of 127.0.0.1 only, a dummy passdb, and at first the lab's own
# certificate (certd install --configure appends certd's settings).
#
# Usage (POSIX sh, set -eu, after lab_start: it uses $LAB_TMP/tls):
#	. "$LAB_SRC/tests/lab/dovecot.sh"
#	dc_lab_start		# sets DC_CONF, DC_PORT, DC_PID
#	dc_lab_fpr		# SHA-256 (lower-case hex) of the served leaf
# The master is stopped by lab_cleanup (it is in LAB_PIDS).

# dc_lab_start: write the config and start `dovecot -F` (foreground).
dc_lab_start() {
	command -v dovecot >/dev/null || lab_die "dovecot lab: dovecot is " \
	    "not installed (make deps: dovecot-imapd)"
	_d="$LAB_TMP/dovecot"
	mkdir -p "$_d/run" "$_d/state"
	# login processes (dovenull) and auth (dovecot) live under base_dir
	chmod 711 "$LAB_TMP"
	chmod 755 "$_d" "$_d/run"
	DC_PORT=$(lab_ports 1)
	DC_CONF="$_d/dovecot.conf"
	cat >"$DC_CONF" <<-EOF
	# written by tests/lab/dovecot.sh
	base_dir = $_d/run
	state_dir = $_d/state
	log_path = $_d/dovecot.log
	instance_name = certd-lab-$DC_PORT
	protocols = imap
	listen = 127.0.0.1
	ssl = required
	ssl_cert = <$LAB_TMP/tls/cert.pem
	ssl_key = <$LAB_TMP/tls/key.pem
	default_internal_user = dovecot
	default_login_user = dovenull
	passdb {
	  driver = static
	  args = password=certd-lab-unused
	}
	userdb {
	  driver = static
	  args = uid=nobody gid=nogroup home=/nonexistent
	}
	service imap-login {
	  inet_listener imap {
	    port = 0
	  }
	  inet_listener imaps {
	    address = 127.0.0.1
	    port = $DC_PORT
	    ssl = yes
	  }
	}
	service stats {
	  inet_listener http {
	    port = 0
	  }
	}
	EOF
	chmod 644 "$DC_CONF"
	doveconf -c "$DC_CONF" -n >"$_d/doveconf.out" 2>&1 || {
		cat "$_d/doveconf.out" >&2
		lab_die "dovecot lab: config test failed"
	}
	lab_spawn dovecot dovecot -c "$DC_CONF" -F
	# shellcheck disable=SC2154
	DC_PID=$LAB_PID_dovecot
	_i=0
	until ss -Hltn "sport = :$DC_PORT" | grep -q .; do
		if ! kill -0 "$DC_PID" 2>/dev/null; then
			tail -n 20 "$_d/dovecot.log" >&2 2>/dev/null || true
			lab_die "dovecot (pid $DC_PID) exited during start-up"
		fi
		_i=$((_i + 1))
		[ "$_i" -lt 100 ] ||
		    lab_die "dovecot does not listen on $DC_PORT"
		sleep 0.1
	done
	lab_check_loopback "$DC_PID"
	export DC_CONF DC_PORT DC_PID
	lab_log "dovecot pid $DC_PID on 127.0.0.1:$DC_PORT ($DC_CONF)"
}

# dc_lab_fpr: the SHA-256 fingerprint (lower-case hex, no colons) of the
# certificate Dovecot presents on its IMAPS port; "" when none.
dc_lab_fpr() {
	echo "a LOGOUT" | timeout 10 openssl s_client \
	    -connect "127.0.0.1:$DC_PORT" 2>/dev/null |
	    openssl x509 -noout -fingerprint -sha256 2>/dev/null |
	    sed 's/.*=//' | tr -d ':' | tr 'A-F' 'a-f'
}

# dc_lab_system_check: the packaged (system) dovecot must not run: it
# would listen beyond loopback. Installing the package may have started it
# (where no policy-rc.d forbids it): stopped here, as make deps should.
dc_lab_system_check() {
	_p=$(cat /run/dovecot/master.pid 2>/dev/null || true)
	if [ -n "$_p" ] && kill -0 "$_p" 2>/dev/null; then
		lab_log "stopping the system dovecot (pid $_p)"
		doveadm stop >/dev/null 2>&1 || true
		_i=0
		while kill -0 "$_p" 2>/dev/null && [ "$_i" -lt 50 ]; do
			sleep 0.1
			_i=$((_i + 1))
		done
		! kill -0 "$_p" 2>/dev/null ||
		    lab_die "the system dovecot (pid $_p) does not stop"
	fi
}
