# --- debian/postinst.sh ---------------------------------------------------------
case "$1" in
  configure) hl_configure "${2:-}" ;;
  abort-upgrade|abort-remove|abort-deconfigure) ;;
  *) echo "postinst called with unknown argument '$1'" >&2; exit 1 ;;
esac
exit 0
