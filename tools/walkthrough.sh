#!/usr/bin/env bash
# Drives the HTTP API of the running dev host (start it first: bash tools/run-local.sh) end to end and prints
# each step. Options go to the walkthrough: --base-url http://localhost:7071, --firm demo-firm, --help.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if ! build_log="$(dotnet build tools/PayConnect.Walkthrough -nologo 2>&1)"; then
  printf '%s\n' "$build_log" >&2
  exit 1
fi

exec dotnet run --no-build --project tools/PayConnect.Walkthrough -- "$@"
