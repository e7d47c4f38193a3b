# --- debian/prerm.sh --------------------------------------------------------------
# An upgrade keeps the service running; postinst restarts it on the new files.
case "$1" in
  remove|deconfigure) hl_before_remove ;;
  upgrade|failed-upgrade) ;;
  *) echo "prerm called with unknown argument '$1'" >&2; exit 1 ;;
esac
exit 0
