#!/usr/bin/env bash
# Make sure the Docker engine has debian:bookworm-slim.  Where a registry is
# reachable, `docker pull` is enough; here (and on air-gapped sites) the
# image is built from Debian's archive with debootstrap and `docker import`.
# Usage: deploy/base-image.sh [MIRROR]   (default http://deb.debian.org/debian)
set -euo pipefail
image=debian:bookworm-slim
mirror=${1:-http://deb.debian.org/debian}
if docker image inspect "$image" >/dev/null 2>&1; then
    echo "base-image: $image is present"
    exit 0
fi
if timeout 60 docker pull "$image" >/dev/null 2>&1; then
    echo "base-image: pulled $image"
    exit 0
fi
command -v debootstrap >/dev/null || {
    echo "base-image: installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap
}
root=$(mktemp -d /tmp/herd-rootfs-XXXXXX)
trap 'rm -rf "$root"' EXIT
echo "base-image: debootstrap bookworm from $mirror (a few minutes)"
debootstrap --variant=minbase bookworm "$root" "$mirror" >/dev/null
# What the slim image also does: no docs, a clean apt cache
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* \
       "$root"/usr/share/doc/* "$root"/usr/share/man/*
echo "deb $mirror bookworm main" > "$root/etc/apt/sources.list"
tar -C "$root" -c . | docker import - "$image" >/dev/null
echo "base-image: built $image from Debian's archive"
