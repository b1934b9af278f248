package remote

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
"$@"
`

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
if [ "$status" = ok ]; then
  [ -z "$msg" ] || printf '%s\n' "$msg"
  exit 0
fi
printf 'ctx: %s\n' "$msg" >&2
exit 1
`
