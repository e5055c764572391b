#!/bin/sh
# deps.sh PKG... - install the Debian packages that are missing (as root
# with apt-get), or print the exact apt-get line and fail.
set -eu
missing=""
for p in "$@"; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = "installed" ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages; run as root:" >&2
	echo "  apt-get install -y$missing" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
# Postfix: the tests run private instances from their own config dirs, so
# the package must not configure (or start) a system MTA on port 25
case " $missing " in
*" postfix "*)
	echo "postfix postfix/main_mailer_type select No configuration" |
	    debconf-set-selections ;;
esac
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null
# in case a service was started anyway (no policy-rc.d on this machine)
case " $missing " in
*" postfix "*)
	if [ -f /etc/postfix/main.cf ] && postfix status >/dev/null 2>&1; then
		postfix stop >/dev/null 2>&1 || true
	fi ;;
esac
case " $missing " in
*" dovecot-imapd "*)
	# the tests run private Dovecot instances on free loopback ports
	if command -v doveadm >/dev/null 2>&1 &&
	    doveadm service status >/dev/null 2>&1; then
		doveadm stop >/dev/null 2>&1 || true
	fi ;;
esac
