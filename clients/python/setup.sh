#!/usr/bin/env bash
# Installs what the Python SDK's code generation and tests need, on a fresh
# Debian machine as root (Python 3.11 present):
#   - python3-venv from apt, if the venv module or ensurepip is missing;
#   - clients/python/.venv with the exact versions in requirements.txt
#     (connectrpc runtime, protobuf, grpcio-tools' protoc, protoc-gen-connectrpc,
#     pytest) and the SDK itself installed editable.
# After it, `go tool buf generate` at the repository root finds the Python
# plugins that the root buf.gen.yaml names under clients/python/.venv.
# Idempotent: when requirements.txt and pyproject.toml are unchanged since the
# last successful run, it checks the venv and does nothing else.
#   bash clients/python/setup.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv"
python="${PYTHON:-python3}"

if ! command -v "$python" >/dev/null 2>&1; then
  echo "setup: $python not found; Python 3.11 or later is required" >&2
  exit 1
fi
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "setup: $("$python" --version 2>&1) is too old; Python 3.11 or later is required" >&2
  exit 1
fi

# Debian splits venv/ensurepip into python3-venv.
if ! "$python" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq python3-venv >/dev/null
fi

# A venv whose interpreter no longer runs (Python upgraded or moved) is rebuilt.
if [ -e "$venv" ] && ! "$venv/bin/python" -c 'import sys' >/dev/null 2>&1; then
  rm -rf "$venv"
fi
if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi

stamp="$venv/.backbeat-setup"
want="$(cat "$here/requirements.txt" "$here/pyproject.toml" | sha256sum | cut -d' ' -f1) $("$venv/bin/python" -c 'import sys; print(sys.version)' | head -n1)"
modules='backbeat_sdk build grpc_tools.protoc protoc_gen_connectrpc pytest'
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] &&
  "$venv/bin/python" -c 'import importlib.util as u, sys
sys.exit(any(u.find_spec(m) is None for m in sys.argv[1:]))' $modules >/dev/null 2>&1; then
  exit 0
fi

pip=("$venv/bin/python" -m pip --disable-pip-version-check --no-input -q)
install() {
  "${pip[@]}" install -r "$here/requirements.txt" &&
    # The SDK itself, editable, with the pinned setuptools above as build
    # backend (no build isolation, so nothing unpinned is fetched).
    "${pip[@]}" install --no-deps --no-build-isolation -e "$here"
}
verify() {
  "$venv/bin/python" -m pip --disable-pip-version-check check >/dev/null &&
    "$venv/bin/python" -c 'import importlib, sys
for m in sys.argv[1:]: importlib.import_module(m)' $modules
}
# A venv that pip believes complete but that fails the check (files deleted
# by hand, an interrupted install) is rebuilt once from scratch.
if ! { install && verify; }; then
  echo "setup: $venv is incomplete; rebuilding it" >&2
  rm -rf "$venv"
  "$python" -m venv "$venv"
  install
  verify
fi
echo "$want" >"$stamp"
echo "setup: $venv ready"
