#!/usr/bin/env bash
# `make demo`: the main job on a fresh machine, narrated. It grows with the
# project: a pool of images, a volume, data, a snapshot, served.
set -eu
VCTL=${VCTL:-build/vctl}
DIR=${DEMO_DIR:-$(mktemp -d /tmp/vctl-demo.XXXXXX)}
P=$DIR/pool
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }
# the server, if one was started and is still running, stops with us
trap '[ -S "$P/vctl.ctl" ] && "$VCTL" -p "$P" serve --stop -q || true' EXIT

echo "vctl demo in $DIR"
say "$VCTL" -p "$P" init --disks 6 --disk-size 64M --enclosures 3 --pseg-size 256K
say "$VCTL" -p "$P" status
echo
echo "A thin RAID5 volume, some data, and where it went:"
say "$VCTL" -p "$P" create db --size 64M --raid 5
head -c 3M /dev/urandom >"$DIR/data"
say "$VCTL" -p "$P" write db "$DIR/data" --offset 1M
say "$VCTL" -p "$P" show db
say "$VCTL" -p "$P" check
echo
echo "A disk goes missing; the pool still opens, and the volume still reads:"
mv "$P/disk4.img" "$DIR/"
say "$VCTL" -p "$P" status
"$VCTL" -p "$P" read db --offset 1M --length 3M | cmp - "$DIR/data" && echo "db reads back whole"
mv "$DIR/disk4.img" "$P/"
echo
echo "Served over NBD; management goes on through the server:"
say "$VCTL" -p "$P" serve --fork
URI="nbd+unix:///db?socket=$P/vctl.sock"
if command -v nbdinfo >/dev/null; then
	say nbdinfo --map "$URI"
else
	echo "(nbdinfo is not installed: apt-get install libnbd-bin)"
fi
if command -v qemu-img >/dev/null; then
	say qemu-img convert -n -f raw -O raw "$DIR/data" "$URI"
	say qemu-img info "$URI"
else
	echo "(qemu-img is not installed: apt-get install qemu-utils)"
fi
say "$VCTL" -p "$P" create logs --size 16M --raid 1
echo
echo "A snapshot while served: instant, exported at once; db changes, the snapshot keeps its bytes:"
"$VCTL" -p "$P" read db -o "$DIR/db.before"
say "$VCTL" -p "$P" snapshot db db.snap
head -c 1M /dev/urandom | "$VCTL" -p "$P" write db --offset 1M -q
"$VCTL" -p "$P" read db.snap | cmp - "$DIR/db.before" && echo "db changed; db.snap still holds what db held"
if command -v nbdinfo >/dev/null; then
	say nbdinfo --size "nbd+unix:///db.snap?socket=$P/vctl.sock"
fi
say "$VCTL" -p "$P" dump tree db
say "$VCTL" -p "$P" list
say "$VCTL" -p "$P" serve --stop
say "$VCTL" -p "$P" check
echo
echo "The pool is in $P; remove it with: rm -r $DIR"
