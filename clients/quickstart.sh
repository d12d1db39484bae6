#!/usr/bin/env bash
# Runs an SDK README's quickstart exactly as written, in a fresh empty
# directory, so the first thing a developer copies keeps working:
#   bash clients/quickstart.sh clients/web/README.md
# The quickstart is every fenced block that follows a marker line, in the
# order of the README:
#   <!-- quickstart:sh -->            the block is shell, run as is;
#   <!-- quickstart:file NAME -->     the block is the file NAME, written where
#                                     the shell blocks before it left off.
# All blocks form one bash script (set -euo pipefail), so a failing line
# fails the run. It expects what the READMEs say a reader has: BACKBEAT_URL
# (a demo server, clients/with-server.sh sets it) and BACKBEAT_DIST (the
# packed SDKs, clients/pack.sh writes them).
#   bash clients/quickstart.sh --name quickstart-gradle README.md
#                                                  runs the blocks marked
#                                                  <!-- quickstart-gradle:... --> instead
#   bash clients/quickstart.sh --print README.md   prints the script only
#   bash clients/quickstart.sh --selftest          checks that a broken line
#                                                  fails and a good one passes
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

name=quickstart

# extract README prints the quickstart of README as one bash script.
extract() {
  python3 - "$1" "$name" <<'PY'
import re, sys
path, name = sys.argv[1], sys.argv[2]
text = open(path, encoding="utf-8").read()
marker = re.compile(r"<!-- " + re.escape(name) + r":(sh|file ([^ ]+)) -->\n```[a-z]*\n(.*?)^```$", re.S | re.M)
blocks = marker.findall(text)
if not blocks:
    sys.exit(f"quickstart: {path} has no <!-- {name}:... --> block")
out = []
for kind, name, body in blocks:
    if kind == "sh":
        out.append(body)
    else:
        if "QUICKSTART_EOF" in body:
            sys.exit(f"quickstart: {name} contains the heredoc terminator")
        out.append(f"mkdir -p \"$(dirname {name})\"\ncat >{name} <<'QUICKSTART_EOF'\n{body}QUICKSTART_EOF\n")
print("".join(out), end="")
PY
}

# run README runs the quickstart of README in a new temporary directory.
run() {
  local readme script dir status=0
  readme="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
  script="$(extract "$readme")"
  dir="$(mktemp -d)"
  echo "quickstart: $1 in $dir"
  (cd "$dir" && bash -euo pipefail -c "$script") || status=$?
  if [ "$status" -ne 0 ]; then
    echo "quickstart: $1 FAILED ($status); the script was:" >&2
    printf '%s\n' "$script" | nl -ba >&2
  else
    echo "quickstart: $1 passed"
  fi
  rm -rf "$dir"
  return "$status"
}

selftest() {
  local dir
  dir="$(mktemp -d)"
  trap 'rm -rf "$dir"' RETURN
  fence='```'
  cat >"$dir/good.md" <<EOF
# A tool
<!-- quickstart:sh -->
${fence}sh
mkdir app && cd app
${fence}
<!-- quickstart:file hello.txt -->
${fence}text
hello
${fence}
<!-- quickstart:sh -->
${fence}sh
grep -qx hello hello.txt
${fence}
EOF
  # The same README with one line broken, as a typo in an edit would.
  sed 's/^grep -qx hello/grep -qx helo/' "$dir/good.md" >"$dir/broken.md"
  run "$dir/good.md" >/dev/null || { echo "quickstart selftest: a good quickstart failed" >&2; return 1; }
  if run "$dir/broken.md" >/dev/null 2>&1; then
    echo "quickstart selftest: a broken quickstart line passed" >&2
    return 1
  fi
  echo "quickstart selftest: 2 passed, 0 failed"
}

if [ "${1:-}" = --name ]; then
  name="$2"
  shift 2
fi
case "${1:-}" in
--print) extract "$2" ;;
--selftest) selftest ;;
"" | -*)
  echo "usage: bash $here/quickstart.sh [--print] README.md | --selftest" >&2
  exit 2
  ;;
*) run "$1" ;;
esac
