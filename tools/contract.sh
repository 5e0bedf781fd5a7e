#!/usr/bin/env bash
# The HTTP contract's generated files and their checks (see docs/decisions/0021-openapi-generated-from-records.md).
#   bash tools/contract.sh write   regenerate functions/openapi.json from the code, then the portal client from it
#   bash tools/contract.sh check   lint the document (Spectral), check the portal client is what the document
#                                  generates, and type-check the client (tsc). CI runs this.
# Whether functions/openapi.json matches the code is checked by a test (OpenApiTests), so check needs no build.
set -euo pipefail
cd "$(dirname "$0")/.."

client=shared/portal-client
generate_client() {
  npx --no-install openapi-typescript functions/openapi.json --default-non-nullable=false -o "$1"
}

case "${1:-}" in
  write)
    dotnet run --project tools/PayConnect.OpenApi -- functions/openapi.json
    generate_client "$client/schema.d.ts"
    ;;
  check)
    echo "spectral lint functions/openapi.json"
    npx --no-install spectral lint functions/openapi.json --ruleset .spectral.yaml --fail-severity=warn
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    generate_client "$work/schema.d.ts" > /dev/null
    if ! diff -u "$client/schema.d.ts" "$work/schema.d.ts"; then
      echo "$client/schema.d.ts is not what functions/openapi.json generates: run  bash tools/contract.sh write" >&2
      exit 1
    fi
    echo "$client/schema.d.ts is generated from functions/openapi.json"
    npx --no-install tsc -p "$client/tsconfig.json"
    echo "tsc: the portal client type-checks"
    ;;
  *)
    echo "Usage: bash tools/contract.sh write|check" >&2
    exit 2
    ;;
esac
