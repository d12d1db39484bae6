#!/usr/bin/env bash
# Packs the SDKs as a developer outside this repository installs them, into
# BACKBEAT_DIST (default clients/dist), with SHA256SUMS:
#   web      backbeat-client-web-VERSION.tgz      (npm pack; the build runs tsc)
#   python   backbeat_sdk-VERSION-py3-none-any.whl and backbeat_sdk-VERSION.tar.gz
#   kotlin   maven/io/backbeat/backbeat-sdk-kotlin/VERSION/  (a Maven repository
#            directory: the jar and its pom, as `mvn install` lays them out)
#   bash clients/pack.sh [web] [python] [kotlin]     (all three by default)
# Each language's setup must have run (its test.sh does that first).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dist="${BACKBEAT_DIST:-$here/dist}"
mkdir -p "$dist"
dist="$(cd "$dist" && pwd)"

pack_web() {
  cd "$here/web"
  rm -f "$dist"/backbeat-client-web-*.tgz
  # prepack builds dist/ (tsc -p tsconfig.build.json).
  npm pack --silent --pack-destination "$dist" --json >"$dist/web-pack.json"
  node -e '
const [p] = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
console.log(`pack: web ${p.filename}: ${p.entryCount} files, ${(p.size / 1024).toFixed(1)} KiB packed, ${(p.unpackedSize / 1024).toFixed(1)} KiB installed (without dependencies)`);
' "$dist/web-pack.json"
  rm -f "$dist/web-pack.json"
}

pack_python() {
  cd "$here/python"
  rm -f "$dist"/backbeat_sdk-*
  # --no-isolation: the pinned setuptools of .venv (requirements.txt) is the backend.
  local log
  log="$(mktemp)"
  .venv/bin/python -m build --no-isolation --outdir "$dist" . >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
  rm -f "$log"
  rm -rf build src/*.egg-info
  for f in "$dist"/backbeat_sdk-*; do
    echo "pack: python $(basename "$f"): $(($(stat -c %s "$f") / 1024)) KiB"
  done
}

pack_kotlin() {
  cd "$here/kotlin"
  local mvn_args=(-B -q --no-transfer-progress) version
  if [ -n "${M2_REPO:-}" ]; then mvn_args+=("-Dmaven.repo.local=$M2_REPO"); fi
  version="$(sed -n 's:^  <version>\(.*\)</version>:\1:p' pom.xml | head -n1)"
  rm -rf "$dist/maven"
  mvn "${mvn_args[@]}" package -DskipTests
  # A repository directory of its own, so consumers name it and nothing else
  # of ~/.m2 leaks into what they resolve from it.
  mvn "${mvn_args[@]}" install:install-file -Dfile="target/backbeat-sdk-kotlin-$version.jar" \
    -DpomFile=pom.xml -DlocalRepositoryPath="$dist/maven"
  echo "pack: kotlin io.backbeat:backbeat-sdk-kotlin:$version: $(($(stat -c %s "target/backbeat-sdk-kotlin-$version.jar") / 1024)) KiB jar in $dist/maven"
}

# One version everywhere (VERSION at the root, see CHANGELOG.md).
version="$(cat "$here/../VERSION")"
mismatch=""
grep -q "\"version\": \"$version\"" "$here/web/package.json" || mismatch+=" web/package.json"
grep -q "^version = \"$version\"" "$here/python/pyproject.toml" || mismatch+=" python/pyproject.toml"
grep -q "^__version__ = \"$version\"" "$here/python/src/backbeat_sdk/__init__.py" || mismatch+=" python/src/backbeat_sdk/__init__.py"
grep -q "^  <version>$version</version>" "$here/kotlin/pom.xml" || mismatch+=" kotlin/pom.xml"
if [ -n "$mismatch" ]; then
  echo "pack: VERSION is $version, but these manifests say otherwise:$mismatch" >&2
  exit 1
fi

langs=("$@")
if [ "${#langs[@]}" -eq 0 ]; then langs=(web python kotlin); fi
for lang in "${langs[@]}"; do
  case "$lang" in
  web | python | kotlin) (pack_"$lang") ;;
  *)
    echo "pack: unknown SDK $lang (web, python, kotlin)" >&2
    exit 2
    ;;
  esac
done
(cd "$dist" && find . -type f ! -name SHA256SUMS ! -name '*.sha1' ! -name '*.md5' ! -name 'maven-metadata*' -printf '%P\n' |
  sort | xargs -r sha256sum >SHA256SUMS)
echo "pack: $dist (SHA256SUMS)"
