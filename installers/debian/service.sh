# --- debian/service.sh: units through init-system-helpers -----------------------
# Mirrors what dh_installsystemd generates: enabling works without a running
# systemd (deb-systemd-helper edits the symlinks), starting only with one, and
# deb-systemd-invoke honours policy-rc.d (containers that forbid starts).

hl_unit_enable() {
  if command -v deb-systemd-helper >/dev/null 2>&1; then
    deb-systemd-helper unmask "$1" >/dev/null || true
    # was-enabled is true on first install, so new installations run enable;
    # a unit the admin disabled stays disabled across upgrades.
    if deb-systemd-helper --quiet was-enabled "$1"; then
      deb-systemd-helper enable "$1" >/dev/null || true
    else
      deb-systemd-helper update-state "$1" >/dev/null || true
    fi
  fi
}

# $2: previous version (empty on a first install): restart on upgrade.
hl_unit_start() {
  hl_systemd_running || return 0
  systemctl --system daemon-reload >/dev/null || true
  if [ -n "$2" ]; then
    deb-systemd-invoke restart "$1" >/dev/null || true
  else
    deb-systemd-invoke start "$1" >/dev/null || true
  fi
}

hl_unit_stop() {
  hl_systemd_running || return 0
  deb-systemd-invoke stop "$1" >/dev/null || true
}

hl_unit_removed() {
  if hl_systemd_running; then
    systemctl --system daemon-reload >/dev/null || true
  fi
  if command -v deb-systemd-helper >/dev/null 2>&1; then
    deb-systemd-helper mask "$1" >/dev/null || true
  fi
}

hl_unit_purged() {
  if command -v deb-systemd-helper >/dev/null 2>&1; then
    deb-systemd-helper purge "$1" >/dev/null || true
    deb-systemd-helper unmask "$1" >/dev/null || true
  fi
}

# Whether a file belongs to an installed package.
hl_owned_by_package() { dpkg-query -S "$1" >/dev/null 2>&1; }

hl_kind=deb
