#!/usr/bin/env bash
# Checks proto/ for breaking changes (buf.yaml's `breaking` rules) against
# the protos of the last release: the newest tag vMAJOR.MINOR.PATCH reachable
# from HEAD. Before the first release there is nothing to compare with: it
# says so and passes. The full test command runs it.
#   bash server/scripts/breaking.sh
#   bash server/scripts/breaking.sh --selftest    in a temporary clone: no tag
#        skips, a tag with the same protos passes, a deleted field fails
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"

check() {
  local dir="$1" tag against
  cd "$dir"
  tag="$(git describe --tags --abbrev=0 --match 'v[0-9]*.[0-9]*.[0-9]*' HEAD 2>/dev/null || true)"
  if [ -z "$tag" ]; then
    echo "breaking: no release tag (vX.Y.Z) reachable from HEAD yet: nothing to compare proto/ with; skipped"
    return 0
  fi
  # The release's buf.yaml and proto/ as a directory: works in any clone or
  # worktree, shallow ones aside (CI's clone is full).
  against="$(mktemp -d)"
  git archive "$tag" buf.yaml proto | tar -x -C "$against"
  echo "breaking: proto/ against $tag"
  local status=0
  go tool buf breaking --against "$against" || status=$?
  rm -rf "$against"
  if [ "$status" -ne 0 ]; then
    echo "breaking: proto/ breaks the API of $tag (see above): keep the old fields and RPCs, or release a new major version" >&2
  fi
  return "$status"
}

selftest() {
  local clone out
  clone="$(mktemp -d)"
  trap 'rm -rf "$clone"' RETURN
  git clone -q "$root" "$clone/repo"
  cd "$clone/repo"
  git tag -d $(git tag -l) >/dev/null 2>&1 || true
  out="$(check "$clone/repo")"
  grep -q "no release tag" <<<"$out" || { echo "breaking selftest: no tag did not skip: $out" >&2; return 1; }
  git -c user.name=t -c user.email=t@example.com tag -a v0.0.1 -m "selftest release"
  check "$clone/repo" >/dev/null || { echo "breaking selftest: unchanged protos failed against their own tag" >&2; return 1; }
  # A field removed after the release: the change a client would break on.
  sed -i '/int64 position_ms = 4;/d' proto/backbeat/playback/v1/playback.proto
  git -c user.name=t -c user.email=t@example.com commit -qam "drop a field"
  if check "$clone/repo" >/dev/null 2>&1; then
    echo "breaking selftest: a deleted field passed" >&2
    return 1
  fi
  echo "breaking selftest: 3 passed, 0 failed"
}

case "${1:-}" in
--selftest) selftest ;;
"") check "$root" ;;
*)
  echo "usage: bash server/scripts/breaking.sh [--selftest]" >&2
  exit 2
  ;;
esac
