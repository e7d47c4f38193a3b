# --- maint/relay.sh: what installing and removing helpline-relay means ----------
hl_package=helpline-relay
hl_unit=helpline-relay.service
hl_data=/var/lib/helpline/relay
hl_user=helpline

# The relay's system user: systemd-sysusers where it exists, else the
# distribution's own tool. An existing user is left as it is.
hl_relay_user() {
  if getent passwd "$hl_user" >/dev/null 2>&1; then
    return 0
  fi
  if command -v systemd-sysusers >/dev/null 2>&1 && [ -f /usr/lib/sysusers.d/helpline-relay.conf ]; then
    systemd-sysusers /usr/lib/sysusers.d/helpline-relay.conf
  elif command -v adduser >/dev/null 2>&1 && [ "$hl_kind" = deb ]; then
    adduser --system --group --quiet --home "$hl_data" --no-create-home \
      --gecos "Helpline relay" "$hl_user"
  else
    useradd --system --user-group --home-dir "$hl_data" --no-create-home \
      --shell /usr/sbin/nologin --comment "Helpline relay" "$hl_user"
  fi
}

# $1: previous version, empty on a first install.
hl_configure() {
  hl_relay_user
  hl_dir 0755 /etc/helpline
  hl_dir 0755 /var/lib/helpline
  if [ ! -d "$hl_data" ]; then
    mkdir -m 0700 "$hl_data"
    chown "$hl_user:$hl_user" "$hl_data"
  fi
  hl_unit_enable "$hl_unit"
  # On the first start the unit creates the relay (helpline-relay-firststart).
  hl_unit_start "$hl_unit" "$1"
  hl_hint_unmanaged /usr/bin/helpline-relay "as user $hl_user," \
    "/usr/lib/helpline/helpline-relay-firststart, then helpline-relay serve --data $hl_data"
}

hl_before_remove() {
  hl_unit_stop "$hl_unit"
  hl_stop_unmanaged /usr/bin/helpline-relay
}

hl_after_remove() {
  hl_unit_removed "$hl_unit"
}

# The data dir holds the CA every enrolled agent pins and the database: losing
# it by mistake orphans the whole fleet, so even a purge keeps it. So is the
# user, which may still own files there (Debian policy: never remove users).
hl_purge() {
  hl_unit_purged "$hl_unit"
  if [ -d "$hl_data" ]; then
    hl_say "kept $hl_data (the relay CA, database and keys); delete it yourself if this relay is gone for good"
  fi
  hl_rmdir_if_empty /etc/helpline
}
