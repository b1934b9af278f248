package remote

import (
	"fmt"
	"path"
	"strings"

	"github.com/gantryhq/gantry/plugins/script"
)

// envCwd carries process.cwd to the launcher.
const envCwd = "GANTRY_CWD"

// launcher runs on the host: it keeps the script (arriving on stdin) on fd 3,
// installs the ctx command in a private temporary folder on PATH, runs the
// interpreter on /dev/fd/3, and removes the folder when done. $@ is the
// interpreter and its arguments.
const launcher = `exec 3<&0 </dev/null
d=$(mktemp -d "${TMPDIR:-/tmp}/gantry-ctx.XXXXXX") || exit 70
trap 'rm -rf "$d"' EXIT
trap 'exit 143' TERM HUP INT
cat > "$d/ctx" <<'GANTRY_CTX_EOF'
` + ctxScript + `GANTRY_CTX_EOF
chmod 700 "$d/ctx"
PATH="$d:$PATH"; export PATH
`

// launcherRun ends the launcher: change to process.cwd if given, run.
const launcherRun = `if [ -n "${GANTRY_CWD:-}" ]; then cd "$GANTRY_CWD" || exit 71; fi
"$@"
`

// launcherFor returns the launcher; with python it also writes Gantry's
// cloudify package into the private folder and puts it on PYTHONPATH.
func launcherFor(python bool) string {
	if !python {
		return launcher + launcherRun
	}
	var b strings.Builder
	b.WriteString(launcher)
	dirs := map[string]bool{}
	for _, f := range script.PythonPackage() {
		dir := path.Dir(f.Path)
		if !dirs[dir] {
			dirs[dir] = true
			fmt.Fprintf(&b, "mkdir -p \"$d/py/%s\"\n", dir)
		}
		fmt.Fprintf(&b, "cat > \"$d/py/%s\" <<'GANTRY_PY_EOF'\n%s\nGANTRY_PY_EOF\n", f.Path, strings.TrimRight(string(f.Body), "\n"))
	}
	b.WriteString("PYTHONPATH=\"$d/py${PYTHONPATH:+:$PYTHONPATH}\"; export PYTHONPATH\n")
	b.WriteString(launcherRun)
	return b.String()
}

// ctxScript is the host-side ctx command. It speaks a line protocol over a
// TCP connection to 127.0.0.1:$GANTRY_CTX_PORT, which SSH forwards to the
// gantry running the operation: the token, then each argument base64
// encoded on its own line, then "."; the answer is "ok" or "err" and the
// base64-encoded output. It needs bash (for /dev/tcp) and base64.
const ctxScript = `#!/usr/bin/env bash
set -u
if [ -z "${GANTRY_CTX_PORT:-}" ] || [ -z "${GANTRY_CTX_TOKEN:-}" ]; then
  echo "ctx: not running inside a Gantry operation" >&2; exit 2
fi
if [ $# -eq 0 ]; then
  echo "usage: ctx node|instance|source|target|logger|returns|retry-operation|abort-operation|deployment|execution-id|operation ..." >&2; exit 2
fi
# download-resource[-and-render] PATH [TARGET] [@VARS]: fetch the content
# (base64) from gantry and write it on this host.
dl= a1=$1
case "$a1" in -j|--json-output) a1=${2:-} ;; esac
case "$a1" in
download-resource|download-resource-and-render)
  while [ "$1" != "$a1" ]; do shift; done
  dl=$1; shift
  [ $# -gt 0 ] || { echo "usage: ctx $dl PATH [TARGET]" >&2; exit 2; }
  res=$1; shift; vars=
  if [ "$dl" = download-resource-and-render ] && [ $# -gt 0 ]; then
    eval "last=\${$#}"
    case "$last" in @*|\{*) vars=$last; set -- "${@:1:$(($# - 1))}" ;; esac
  fi
  target=${1:-}
  if [ "$dl" = download-resource ]; then set -- resource "$res"
  elif [ -n "$vars" ]; then set -- render-resource "$res" "$vars"
  else set -- render-resource "$res"; fi
  ;;
esac
exec 9<>"/dev/tcp/127.0.0.1/$GANTRY_CTX_PORT" || { echo "ctx: cannot reach gantry on port $GANTRY_CTX_PORT" >&2; exit 2; }
{
  printf '%s\n' "$GANTRY_CTX_TOKEN"
  for a in "$@"; do printf '%s' "$a" | base64 | tr -d '\n'; printf '\n'; done
  printf '.\n'
} >&9
IFS= read -r status <&9 || { echo "ctx: no answer from gantry" >&2; exit 2; }
IFS= read -r body <&9 || body=
exec 9<&-
msg=$(printf '%s' "$body" | base64 -d)
if [ "$status" = ok ] && [ -n "$dl" ]; then
  if [ -z "$target" ]; then
    target=$(mktemp "${TMPDIR:-/tmp}/gantry-resource-XXXXXX") || exit 1
  fi
  printf '%s' "$msg" | base64 -d > "$target" || { echo "ctx: cannot write $target" >&2; exit 1; }
  printf '%s\n' "$target"
  exit 0
fi
if [ "$status" = ok ]; then
  [ -z "$msg" ] || printf '%s\n' "$msg"
  exit 0
fi
printf 'ctx: %s\n' "$msg" >&2
exit 1
`
