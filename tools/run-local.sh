#!/usr/bin/env bash
# Runs PayConnect locally with only the .NET SDK and Node.js: the functions on http://localhost:7071 (the dev
# host stands in for Azure Functions Core Tools), Azurite for Table Storage and the local mail sink.
# Seeds the demo firm (--no-seed to skip). Other options are passed to the dev host; try --help.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

require() {
  if ! command -v "$1" >/dev/null 2>&1; then
    echo "run-local: '$1' is not on PATH. $2" >&2
    exit 1
  fi
}

require dotnet "Install the .NET SDK named in global.json."
require node "Install Node.js 20 or later (it runs Azurite)."
require npm "Install npm (it comes with Node.js)."

if [ ! -f node_modules/azurite/dist/src/table/main.js ]; then
  echo "Installing the npm packages (Azurite) with npm ci ..."
  npm ci --no-audit --no-fund
fi

# Built first, its output shown only on failure: the Worker SDK's generated extension project prints
# restore warnings (NU1603) on every build that say nothing to someone running the product.
echo "Building the functions and the dev host (the first build restores packages) ..."
if ! build_log="$(dotnet build tools/PayConnect.DevHost -nologo 2>&1)"; then
  printf '%s\n' "$build_log" >&2
  exit 1
fi

# The demo firm is seeded through the API once the host listens (idempotent); --no-seed skips it.
seed=(--seed-demo)
args=()
for arg in "$@"; do
  case "$arg" in
    --no-seed) seed=() ;;
    --seed-demo) ;;
    *) args+=("$arg") ;;
  esac
done

# exec: Ctrl+C and kill reach dotnet run, which passes them to the dev host, which stops Azurite.
exec dotnet run --no-build --project tools/PayConnect.DevHost -- "${seed[@]}" "${args[@]}"
