# --- rpm/postun.sh: $1 is 0 on erase, 1 on upgrade --------------------------------
# rpm has no purge: an erase keeps state like a dpkg remove (docs/installers.md).
if [ "$1" -eq 0 ]; then
  hl_after_remove
fi
