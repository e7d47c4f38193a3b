# --- rpm/preun.sh: $1 is 0 on erase, 1 on upgrade --------------------------------
if [ "$1" -eq 0 ]; then
  hl_before_remove
fi
