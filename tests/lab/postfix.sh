# postfix.sh - private Postfix instances for the tests, sourced after lab.sh
# (Debian's postfix package; make deps installs it without configuring a
# system MTA). Each instance runs as root from its own config directory
# under $LAB_TMP, listens on 127.0.0.1 only (a free port), keeps its queue,
# data and log there, and starts with a self-signed "snakeoil" certificate
# as a stock Debian Postfix does.
#
#	pf_init NAME	make $LAB_TMP/NAME (e.g. "postfix"); sets PF_DIR,
#			PF_CONF (for postfix -c), PF_PORT, PF_LOG, PF_SNAKEOIL
#	pf_start	postfix -c $PF_CONF start, wait until it answers
#	pf_stop		postfix -c $PF_CONF stop (SIGKILL to the master's
#			process group by PID as a fallback)
#	pf_use NAME	switch PF_* to another instance made by pf_init
#	pf_served_fpr	SHA-256 (hex, lower case) of the leaf served via
#			STARTTLS on PF_PORT (empty when none)
#	pf_file_fpr F	SHA-256 of the first certificate in file F
#	pf_pair_ok F	the private key in F matches its first certificate
#	pf_no_temp DIR	no temporary file (.*.certd-new) is left in DIR
# Every instance started is stopped by lab_cleanup (LAB_ON_EXIT).

PF_ALL=""

# pf_vars NAME: PF_* for instance NAME
pf_vars() {
	PF_NAME=$1
	PF_DIR="$LAB_TMP/$1"
	PF_CONF="$PF_DIR/conf"
	PF_LOG="$PF_DIR/maillog"
	PF_SNAKEOIL="$PF_DIR/snakeoil.pem"
	PF_PORT=$(cat "$PF_DIR/port" 2>/dev/null || true)
	export PF_DIR PF_CONF PF_LOG PF_PORT PF_SNAKEOIL
}

pf_use() {
	[ -d "$LAB_TMP/$1" ] || lab_die "pf_use: no instance $1"
	pf_vars "$1"
}

pf_init() {
	command -v postfix >/dev/null 2>&1 ||
	    lab_die "postfix is not installed (make deps)"
	[ -n "$LAB_TMP" ] || lab_init
	# postfix's daemons (user postfix) work below here
	chmod 711 "$LAB_TMP"
	pf_vars "$1"
	mkdir -p "$PF_CONF" "$PF_DIR/queue" "$PF_DIR/data"
	chown postfix: "$PF_DIR/data"
	chmod 700 "$PF_DIR/data"
	lab_ports 1 >"$PF_DIR/port"
	PF_PORT=$(cat "$PF_DIR/port")
	# the certificate a fresh Debian Postfix serves (ssl-cert-snakeoil)
	openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -nodes -keyout "$PF_DIR/snakeoil.key" -out "$PF_SNAKEOIL" \
	    -days 2 -subj "/CN=snakeoil-$PF_NAME" 2>/dev/null
	chmod 600 "$PF_DIR/snakeoil.key"
	cat >"$PF_CONF/main.cf" <<-EOF
	# certd lab: a private Postfix on 127.0.0.1:$PF_PORT (tests/lab/postfix.sh)
	compatibility_level = 3.6
	myhostname = mx.example.test
	mydomain = example.test
	myorigin = \$myhostname
	mydestination =
	relayhost =
	mynetworks = 127.0.0.0/8
	inet_interfaces = 127.0.0.1
	inet_protocols = ipv4
	queue_directory = $PF_DIR/queue
	data_directory = $PF_DIR/data
	mail_owner = postfix
	setgid_group = postdrop
	maillog_file_prefixes = $PF_DIR
	maillog_file = $PF_LOG
	alias_maps =
	alias_database =
	local_recipient_maps =
	smtpd_banner = \$myhostname ESMTP certd lab
	smtpd_tls_cert_file = $PF_SNAKEOIL
	smtpd_tls_key_file = $PF_DIR/snakeoil.key
	smtpd_tls_security_level = may
	EOF
	# only the services an SMTP server needs, none chrooted
	cat >"$PF_CONF/master.cf" <<-EOF
	127.0.0.1:$PF_PORT inet n - n - - smtpd
	pickup    unix  n       -       n       60      1       pickup
	cleanup   unix  n       -       n       -       0       cleanup
	qmgr      unix  n       -       n       300     1       qmgr
	tlsmgr    unix  -       -       n       1000?   1       tlsmgr
	rewrite   unix  -       -       n       -       -       trivial-rewrite
	bounce    unix  -       -       n       -       0       bounce
	defer     unix  -       -       n       -       0       bounce
	trace     unix  -       -       n       -       0       bounce
	verify    unix  -       -       n       -       1       verify
	flush     unix  n       -       n       1000?   0       flush
	proxymap  unix  -       -       n       -       -       proxymap
	showq     unix  n       -       n       -       -       showq
	error     unix  -       -       n       -       -       error
	retry     unix  -       -       n       -       -       error
	discard   unix  -       -       n       -       -       discard
	anvil     unix  -       -       n       -       1       anvil
	scache    unix  -       -       n       -       1       scache
	postlog   unix-dgram n  -       n       -       1       postlogd
	EOF
	case " $PF_ALL " in
	*" $PF_NAME "*) ;;
	*) PF_ALL="$PF_ALL $PF_NAME" ;;
	esac
	case "${LAB_ON_EXIT:-}" in
	*pf_stop_all*) ;;
	*) LAB_ON_EXIT="${LAB_ON_EXIT:+$LAB_ON_EXIT; }pf_stop_all" ;;
	esac
}

# pf_master_pid: the running master's PID, or nothing
pf_master_pid() {
	_pf=$PF_DIR/queue/pid/master.pid
	[ -f "$_pf" ] || return 0
	_p=$(tr -d ' \n' <"$_pf")
	[ -n "$_p" ] && kill -0 "$_p" 2>/dev/null && echo "$_p"
	return 0
}

pf_start() {
	postfix -c "$PF_CONF" start >"$PF_DIR/start.out" 2>&1 || {
		cat "$PF_DIR/start.out" >&2
		tail -n 20 "$PF_LOG" >&2 || true
		lab_die "postfix ($PF_NAME) did not start"
	}
	_i=0
	while [ "$_i" -lt 100 ]; do
		if [ -n "$(pf_master_pid)" ] &&
		    ss -Hltn "sport = :$PF_PORT" | grep -q .; then
			_m=$(pf_master_pid)
			lab_check_loopback "$_m"
			lab_log "postfix $PF_NAME: 127.0.0.1:$PF_PORT (master $_m)"
			return 0
		fi
		sleep 0.1
		_i=$((_i + 1))
	done
	tail -n 20 "$PF_LOG" >&2 || true
	lab_die "postfix ($PF_NAME) does not listen on $PF_PORT"
}

pf_stop() {
	_m=$(pf_master_pid)
	[ -n "$_m" ] || return 0
	postfix -c "$PF_CONF" stop >/dev/null 2>&1 || true
	_i=0
	while kill -0 "$_m" 2>/dev/null && [ "$_i" -lt 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	if kill -0 "$_m" 2>/dev/null; then
		lab_log "postfix $PF_NAME: master $_m still there, SIGKILL"
		# the master is a session leader: its children share the group
		kill -9 -- "-$_m" 2>/dev/null || kill -9 "$_m" 2>/dev/null || true
	fi
	return 0
}

pf_stop_all() {
	_cur=${PF_NAME:-}
	for _n in $PF_ALL; do
		pf_vars "$_n"
		pf_stop
	done
	[ -z "$_cur" ] || pf_vars "$_cur"
}

pf_served_fpr() {
	echo QUIT | timeout 15 openssl s_client -starttls smtp \
	    -connect "127.0.0.1:$PF_PORT" 2>/dev/null |
	    openssl x509 -noout -fingerprint -sha256 2>/dev/null |
	    sed 's/.*=//' | tr -d ':' | tr 'A-F' 'a-f'
}

pf_file_fpr() {
	openssl x509 -in "$1" -noout -fingerprint -sha256 |
	    sed 's/.*=//' | tr -d ':' | tr 'A-F' 'a-f'
}

pf_pair_ok() {
	_k=$(openssl pkey -in "$1" -pubout 2>/dev/null | sha256sum)
	_c=$(openssl x509 -in "$1" -noout -pubkey 2>/dev/null | sha256sum)
	_e=$(printf '' | sha256sum)
	[ "$_k" != "$_e" ] && [ "$_k" = "$_c" ]
}

# pf_wait_fpr FPR: wait (bounded, ~10 s) until PF_PORT serves FPR
pf_wait_fpr() {
	_i=0
	while [ "$_i" -lt 50 ]; do
		[ "$(pf_served_fpr)" = "$1" ] && return 0
		sleep 0.2
		_i=$((_i + 1))
	done
	lab_die "postfix $PF_NAME does not serve $1 (serves $(pf_served_fpr))"
}

pf_no_temp() {
	for _t in "$1"/.*.certd-new; do
		[ -e "$_t" ] && lab_die "temporary file left: $_t"
	done
	return 0
}
