# --- maint/agent.sh: what installing and removing helpline-agent means ----------
hl_package=helpline-agent
hl_unit=helpline-agent.service
hl_state=/var/lib/helpline/agent

# $1: previous version, empty on a first install. Identity, configuration and
# spool in the state dir are never touched here.
hl_configure() {
  hl_dir 0755 /etc/helpline
  hl_dir 0755 /var/lib/helpline
  hl_dir 0700 "$hl_state"
  rm -rf "$hl_state/.retire"  # left by an earlier remove; the package is back
  hl_unit_enable "$hl_unit"
  # The unit only runs once enrolled (ConditionPathExists on agent.toml).
  hl_unit_start "$hl_unit" "$1"
  if [ -e "$hl_state/agent.toml" ]; then
    hl_hint_unmanaged /usr/bin/helpline-agent "helpline-agent run --state $hl_state"
  fi
}

# Where the purge finds the agent binary after dpkg removed /usr/bin: purge
# runs after the package's files are gone, and retiring the device needs
# the agent. Kept in the (0700) state dir, which the purge deletes.
hl_retire_helper="$hl_state/.retire/helpline-agent"

hl_before_remove() {
  hl_unit_stop "$hl_unit"
  hl_stop_unmanaged /usr/bin/helpline-agent
  if [ -e "$hl_state/agent.toml" ] && [ -x /usr/bin/helpline-agent ]; then
    mkdir -p "$hl_state/.retire" && chmod 0700 "$hl_state/.retire" &&
      cp -p /usr/bin/helpline-agent "$hl_retire_helper" || true
  fi
}

hl_after_remove() {
  hl_unit_removed "$hl_unit"
  hl_say "kept this device's identity in $hl_state (purge the package to delete it)"
}

# Tells the relay the device is retired (helpline-agent retire: it is then
# marked retired and revoked), then deletes the identity and state. A relay
# that cannot be reached does not stop the purge: the agent says which
# device an admin should revoke.
hl_purge() {
  hl_unit_purged "$hl_unit"
  if [ -e "$hl_state/agent.toml" ]; then
    agent=/usr/bin/helpline-agent
    [ -x "$agent" ] || agent=$hl_retire_helper
    if [ -x "$agent" ]; then
      "$agent" retire --state "$hl_state" --reason "package purged" --timeout 10s || true
    else
      device=$(sed -n "s/^device_id *= *[\"']\([A-Za-z0-9_-]*\)[\"'].*/\1/p" "$hl_state/agent.toml")
      hl_say "deleting the identity of device ${device:-?}; revoke it at the relay with:" \
        "helpline devices revoke ${device:-ID}"
    fi
  fi
  rm -rf "$hl_state"
  # An enrollment file a .sh installer wrote belongs to no package: it goes
  # with the identity. One from a helpline-agent-GROUP package is that
  # package's conffile and goes when that package is purged.
  if [ -e /etc/helpline/enroll.toml ] && ! hl_owned_by_package /etc/helpline/enroll.toml; then
    rm -f /etc/helpline/enroll.toml
  fi
  hl_rmdir_if_empty /etc/helpline
  hl_rmdir_if_empty /var/lib/helpline
}
