#!/usr/bin/env bash
# Builds Backbeat's container image as an OCI layout without Docker or an
# image registry: the base is a minimal Debian root file system made by
# debootstrap from the Debian mirror this machine's apt already uses (read
# from /etc/apt/sources.list*, so no mirror is named here), with ffmpeg and a
# non-root user; umoci turns it and the backbeat binary into an image.
#
#   bash server/deploy/image/build.sh OUT_DIR [TAG]
#
# writes OUT_DIR/oci (an OCI image layout, tag TAG, default "latest"), which
# `skopeo copy oci:OUT_DIR/oci:latest docker-daemon:backbeat:latest` or
# `podman load` take elsewhere; `umoci unpack` runs it without an engine (see
# server/deploy/image_test.go). With Docker, build server/deploy/Dockerfile
# instead. The base layer is cached in ~/.cache/backbeat/image (a cold build
# takes minutes, a warm one seconds); BACKBEAT_IMAGE_CACHE moves it.
# Needs root (debootstrap), debootstrap and umoci (installed here if missing).
set -euo pipefail
cd "$(dirname "$0")/../../.."
out="${1:?usage: build.sh OUT_DIR [TAG]}"
tag="${2:-latest}"
cache="${BACKBEAT_IMAGE_CACHE:-$HOME/.cache/backbeat/image}"
# What the base holds; a change here makes a new cached base.
packages="ffmpeg,ca-certificates,tzdata"
uid=10001

need=()
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v umoci >/dev/null || need+=(umoci)
if ((${#need[@]})); then
  echo "image: installing ${need[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# mirror_and_suite prints the URI and suite of the first Debian archive entry
# apt uses (not the security or updates suites), from either file format.
mirror_and_suite() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk '
      /^[[:space:]]*$/ { if (uri != "" && suite != "" && deb) { print uri, suite; found = 1; exit } uri = suite = ""; deb = 0; next }
      tolower($1) == "types:" { for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1 }
      tolower($1) == "uris:" { uri = $2 }
      tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i !~ /-(security|updates|backports)$|\// ) { suite = $i; break } }
      END { if (!found && uri != "" && suite != "" && deb) print uri, suite }
    ' "$f" | grep -v -- '-security' | head -1 && return 0
  done
  cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
    awk '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ } if ($(i + 1) !~ /-(security|updates|backports)$|\//) { print $i, $(i + 1); exit } }'
}
read -r mirror suite < <(mirror_and_suite) || true
if [ -z "${mirror:-}" ] || [ -z "${suite:-}" ]; then
  echo "image: found no Debian archive in /etc/apt/sources.list*" >&2
  exit 1
fi

mkdir -p "$cache"
key="$(printf '%s %s %s %s' "$suite" "$packages" "$uid" "$(dpkg --print-architecture)" | sha256sum | cut -c1-16)"
base="$cache/base-$suite-$key"
# One build of the base at a time; others wait for it and reuse it.
exec 9>"$cache/.lock"
flock 9
if [ ! -f "$base/done" ]; then
  echo "image: debootstrap $suite from the machine's apt mirror (cold: a few minutes)"
  rm -rf "$base"
  mkdir -p "$base"
  rootfs="$base/rootfs"
  debootstrap --variant=minbase --include="$packages" "$suite" "$rootfs" "$mirror" >"$base/debootstrap.log" 2>&1 ||
    { tail -30 "$base/debootstrap.log" >&2; exit 1; }
  # The server's user and its data directory (a volume in the image).
  echo "backbeat:x:$uid:$uid:Backbeat:/var/lib/backbeat:/usr/sbin/nologin" >>"$rootfs/etc/passwd"
  echo "backbeat:x:$uid:" >>"$rootfs/etc/group"
  echo "backbeat:!:20000::::::" >>"$rootfs/etc/shadow"
  mkdir -p "$rootfs/var/lib/backbeat"
  chown "$uid:$uid" "$rootfs/var/lib/backbeat"
  chmod 0700 "$rootfs/var/lib/backbeat"
  # What an image does not need: apt's lists and caches, documentation.
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
    "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/var/log/*.log
  # The base as one layer of an OCI layout, made once.
  umoci init --layout "$base/oci"
  umoci new --image "$base/oci:base"
  umoci unpack --image "$base/oci:base" "$base/bundle" >/dev/null
  rmdir "$base/bundle/rootfs"
  mv "$rootfs" "$base/bundle/rootfs"
  umoci repack --image "$base/oci:base" "$base/bundle"
  rm -rf "$base/bundle"
  touch "$base/done"
fi
flock -u 9

# The binary: static (pure Go SQLite), so it needs nothing from the base but
# ffmpeg and the CA certificates.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin"
CGO_ENABLED=0 go build -trimpath -ldflags=-s -o "$work/bin/backbeat" ./server/cmd/backbeat

rm -rf "$out/oci"
mkdir -p "$out"
cp -a "$base/oci" "$out/oci"
umoci tag --image "$out/oci:base" "$tag"
umoci rm --image "$out/oci:base"
umoci insert --image "$out/oci:$tag" --history.comment "backbeat binary" "$work/bin/backbeat" /usr/local/bin/backbeat
# The same contract as the Dockerfile: non-root, listen on all addresses in
# the container, data in the volume, admin listener on its own port.
umoci config --image "$out/oci:$tag" \
  --config.user "$uid:$uid" \
  --config.entrypoint /usr/local/bin/backbeat --config.cmd serve \
  --config.workingdir /var/lib/backbeat --config.volume /var/lib/backbeat \
  --config.env BACKBEAT_ADDR=0.0.0.0:8080 --config.env BACKBEAT_DATA_DIR=/var/lib/backbeat \
  --config.env BACKBEAT_ADMIN_ADDR=0.0.0.0:9464 \
  --config.exposedports 8080/tcp --config.exposedports 9464/tcp \
  --config.stopsignal SIGTERM \
  --config.label org.opencontainers.image.title=backbeat \
  --config.label org.opencontainers.image.licenses=Apache-2.0 \
  --history.comment "backbeat configuration"
umoci gc --layout "$out/oci"
echo "image: $out/oci:$tag ($(du -sb "$out/oci/blobs" | cut -f1) bytes compressed)"
