# --- rpm/post.sh: $1 is the number of versions installed after this one -----------
if [ "$1" -ge 2 ]; then
  hl_configure upgrade
else
  hl_configure ""
fi
