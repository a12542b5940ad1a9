#!/usr/bin/env bash
# Builds the local test image bramble-test/busybox:1 from the host's static busybox (Debian
# package busybox-static), without a registry: a rootfs with every busybox applet as a symlink,
# imported with `docker import`. Idempotent and quick (~1 s); does nothing if the image exists.
# Usage: scripts/test-image.sh [--force]
set -euo pipefail

IMAGE="${BRAMBLE_TEST_IMAGE:-bramble-test/busybox:1}"
BUSYBOX="${BUSYBOX:-/bin/busybox}"

if [[ "${1:-}" != "--force" ]] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
  exit 0
fi
if [[ ! -x "$BUSYBOX" ]] || ! "$BUSYBOX" --list >/dev/null 2>&1; then
  echo "test-image: $BUSYBOX is missing: install it with 'apt-get install busybox-static'" >&2
  exit 1
fi
if ldd "$BUSYBOX" >/dev/null 2>&1; then
  echo "test-image: $BUSYBOX is dynamically linked; the image needs busybox-static" >&2
  exit 1
fi

rootfs="$(mktemp -d)"
trap 'rm -rf "$rootfs"' EXIT
mkdir -p "$rootfs"/{bin,etc,tmp,root,www,proc,sys,dev}
chmod 1777 "$rootfs/tmp"
cp "$BUSYBOX" "$rootfs/bin/busybox"
# Every applet the binary has (sh, sleep, echo, cat, httpd, wget, nc, env, pwd, ls, kill, ...).
for applet in $("$BUSYBOX" --list); do
  [[ "$applet" == busybox ]] || ln -sf busybox "$rootfs/bin/$applet"
done
# Users for `User:` tests, and a page for httpd.
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
echo 'hello from bramble-test' >"$rootfs/www/index.html"

tar --numeric-owner --owner=0 --group=0 -C "$rootfs" -c . |
  docker import --change 'CMD ["sh"]' --change 'ENV PATH=/bin' - "$IMAGE" >/dev/null
echo "test-image: built $IMAGE"
