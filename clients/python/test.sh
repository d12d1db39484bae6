#!/usr/bin/env bash
# The Python SDK's tests against a live Backbeat server (see clients/with-server.sh):
#   1. installs what they need (setup.sh; quick when already done);
#   2. every test but the expiry one, against a demo server;
#   3. the expiry test, against a server whose access tokens live 2 seconds,
#      so the refresh after a real expiry is exercised.
#   4. the package: wheel and sdist (clients/pack.sh), then the README
#      quickstart run as written in an empty directory against the first
#      server (a venv, the wheel installed, mypy --strict, sync and async).
# Extra arguments go to both pytest runs, e.g. `-k paginate` or `-x`.
#   bash clients/python/test.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bash "$here/setup.sh"
cd "$root"
export PYTHONDONTWRITEBYTECODE=1
pytest=("$here/.venv/bin/pytest" -q -p no:cacheprovider --rootdir "$here" -c "$here/pyproject.toml")
export BACKBEAT_DIST="${BACKBEAT_DIST:-$(mktemp -d)}"
bash clients/pack.sh python
echo "== Python SDK tests, then the README quickstart on the same server"
bash clients/with-server.sh bash -c '
  "$@" || exit
  echo "== Python README quickstart"
  bash clients/quickstart.sh clients/python/README.md' quickstart "${pytest[@]}" "$here/tests" -m "not expiry" "$@"
echo "== Python SDK tests: access-token expiry (--access-ttl 2s)"
status=0
BACKBEAT_SERVER_FLAGS="${BACKBEAT_SERVER_FLAGS:-} --access-ttl 2s" \
  bash clients/with-server.sh "${pytest[@]}" "$here/tests" -m expiry "$@" || status=$?
# 5 is pytest's "no tests collected": arguments such as -k that select none of
# the expiry tests are fine.
if [ "$status" -ne 0 ] && [ "$status" -ne 5 ]; then
  exit "$status"
fi
