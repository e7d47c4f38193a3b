#!/bin/sh
# Installs the Helpline agent from this tarball on Linux distributions without
# a .deb or .rpm package. Run as root from the unpacked directory.
#   ./install.sh [--no-start]          install or upgrade (identity and config kept)
#   ./install.sh --uninstall [--purge] remove; --purge also deletes the identity
# Enrolling afterwards: helpline-agent enroll --relay HOST:PORT --ca-pin SHA256:...
# with the token in HELPLINE_ENROLL_TOKEN, or a per-group installer
# (`helpline admin installer --format sh`), which runs this script itself.
# Installed: /usr/bin/helpline-agent, /etc/systemd/system/helpline-agent.service,
# /usr/lib/helpline/ (helpers and a copy of this script, for --uninstall),
# /etc/helpline/agent.env (kept if present), /var/lib/helpline/agent (0700).
set -eu

say() { printf 'install.sh: %s\n' "$*"; }
die() { say "$*" >&2; exit 1; }

mode=install start=1 purge=0
for arg in "$@"; do
  case "$arg" in
    --no-start) start=0 ;;
    --uninstall) mode=uninstall ;;
    --purge) purge=1 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) die "unknown option $arg (see --help)" ;;
  esac
done
[ "$(id -u)" -eq 0 ] || die "run me as root"

unit=/etc/systemd/system/helpline-agent.service
state=/var/lib/helpline/agent
here=$(cd "$(dirname "$0")" && pwd)

systemd_running() { [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; }

# A packaged agent is the package manager's: this script must not fight it.
owned_by_package() {
  if command -v dpkg-query >/dev/null 2>&1 && dpkg-query -S "$1" >/dev/null 2>&1; then return 0; fi
  if command -v rpm >/dev/null 2>&1 && rpm -qf "$1" >/dev/null 2>&1; then return 0; fi
  return 1
}

if owned_by_package /usr/bin/helpline-agent; then
  die "helpline-agent is installed from a package here; use the package manager instead"
fi

if [ "$mode" = uninstall ]; then
  if systemd_running; then
    systemctl disable --now helpline-agent.service >/dev/null 2>&1 || true
  fi
  # Purging tells the relay first (the device is marked retired); an
  # unreachable relay does not stop the uninstall.
  if [ "$purge" -eq 1 ] && [ -e "$state/agent.toml" ] && [ -x /usr/bin/helpline-agent ]; then
    /usr/bin/helpline-agent retire --state "$state" --reason "uninstalled with --purge" \
      --timeout 10s || true
  fi
  rm -f /usr/bin/helpline-agent "$unit" /usr/lib/helpline/helpline-agent-enroll \
    /usr/lib/helpline/helpline-agent-install.sh
  rmdir /usr/lib/helpline 2>/dev/null || true
  if systemd_running; then systemctl daemon-reload || true; fi
  if [ "$purge" -eq 1 ]; then
    rm -rf "$state"
    rm -f /etc/helpline/enroll.toml /etc/helpline/agent.env
    rmdir /etc/helpline /var/lib/helpline 2>/dev/null || true
    say "removed the agent, its identity and its configuration"
  else
    say "removed the agent; kept its identity in $state and /etc/helpline (--purge deletes them)"
  fi
  exit 0
fi

[ -x "$here/usr/bin/helpline-agent" ] || die "run me from the unpacked tarball ($here has no usr/bin/helpline-agent)"
install -d -m 0755 /usr/lib/helpline /etc/helpline /var/lib/helpline /etc/systemd/system
install -d -m 0700 "$state"
chmod 0700 "$state"
install -m 0755 "$here/usr/bin/helpline-agent" /usr/bin/helpline-agent
install -m 0755 "$here/usr/lib/helpline/helpline-agent-enroll" /usr/lib/helpline/helpline-agent-enroll
install -m 0755 "$here/install.sh" /usr/lib/helpline/helpline-agent-install.sh
install -m 0644 "$here/usr/lib/systemd/system/helpline-agent.service" "$unit"
if [ ! -e /etc/helpline/agent.env ]; then
  install -m 0644 "$here/etc/helpline/agent.env" /etc/helpline/agent.env
fi
say "installed helpline-agent $("/usr/bin/helpline-agent" --version 2>/dev/null | sed 's/^helpline-agent //')"

if systemd_running; then
  systemctl daemon-reload
  systemctl enable helpline-agent.service >/dev/null 2>&1 || true
  # The unit only runs once enrolled (ConditionPathExists on agent.toml).
  if [ "$start" -eq 1 ]; then systemctl restart helpline-agent.service || true; fi
elif [ -e "$state/agent.toml" ]; then
  say "systemd is not running here: (re)start the agent yourself: helpline-agent run"
fi
