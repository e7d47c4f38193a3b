# --- rpm/service.sh: units the way %systemd_post/_preun/_postun do it ----------
# systemctl's file operations (preset, disable) work without a running
# systemd; starting, stopping and reloading only with one. RPM distributions
# start services through presets, not on install: see docs/installers.md.

hl_unit_enable() {
  if command -v systemctl >/dev/null 2>&1; then
    systemctl --no-reload preset "$1" >/dev/null 2>&1 || true
  fi
}

# $2: previous version (empty on a first install): try-restart on upgrade.
hl_unit_start() {
  hl_systemd_running || return 0
  systemctl daemon-reload >/dev/null 2>&1 || true
  if [ -n "$2" ]; then
    systemctl try-restart "$1" >/dev/null 2>&1 || true
  elif systemctl --quiet is-enabled "$1" 2>/dev/null; then
    systemctl start "$1" >/dev/null 2>&1 || true
  fi
}

hl_unit_stop() {
  if command -v systemctl >/dev/null 2>&1; then
    systemctl --no-reload disable "$1" >/dev/null 2>&1 || true
  fi
  hl_systemd_running || return 0
  systemctl stop "$1" >/dev/null 2>&1 || true
}

hl_unit_removed() {
  if hl_systemd_running; then
    systemctl daemon-reload >/dev/null 2>&1 || true
  fi
}

hl_unit_purged() { :; }

hl_owned_by_package() { rpm -qf "$1" >/dev/null 2>&1; }

hl_kind=rpm
