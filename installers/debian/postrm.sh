# --- debian/postrm.sh -------------------------------------------------------------
case "$1" in
  remove) hl_after_remove ;;
  purge) hl_purge ;;
  upgrade|failed-upgrade|abort-install|abort-upgrade|disappear) ;;
  *) echo "postrm called with unknown argument '$1'" >&2; exit 1 ;;
esac
exit 0
