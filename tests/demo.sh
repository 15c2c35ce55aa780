#!/usr/bin/env bash
# `make demo`: the main job on a fresh machine, narrated. It grows with the
# project: a pool of images, a volume, data, a snapshot, served.
set -eu
VCTL=${VCTL:-build/vctl}
DIR=${DEMO_DIR:-$(mktemp -d /tmp/vctl-demo.XXXXXX)}
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

echo "vctl demo in $DIR"
say "$VCTL" -p "$DIR/pool" init --disks 6 --disk-size 64M --enclosures 3 --pseg-size 256K
say "$VCTL" -p "$DIR/pool" status
say "$VCTL" -p "$DIR/pool" check
echo
echo "A disk goes missing; the pool still opens and says which:"
mv "$DIR/pool/disk4.img" "$DIR/"
say "$VCTL" -p "$DIR/pool" status
mv "$DIR/disk4.img" "$DIR/pool/"
echo
echo "The pool is in $DIR/pool; remove it with: rm -r $DIR"
