#!/usr/bin/env bash
# Compiles and lints infra/ with the pinned Bicep CLI. Bicep exits 0 on warnings, so this script reads the
# diagnostics itself: any warning or error fails the check. CI runs `bash tools/check-infra.sh`.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bicep=(bash "$root/tools/bicep.sh")

# The parameter files read tenant-specific values from environment variables. Fixed placeholders make the
# check independent of the caller's shell; real deployments still fail loudly when an operator forgot one.
placeholder_guid="00000000-0000-0000-0000-000000000000"
for env in DEV PROD; do
  export "PAYCONNECT_${env}_AUTH_CLIENT_ID=${placeholder_guid}"
  export "PAYCONNECT_${env}_PORTAL_BASE_URL=https://portal.example.invalid"
  export "PAYCONNECT_${env}_PORTAL_CLIENT_ID=${placeholder_guid}"
  export "PAYCONNECT_${env}_SYNC_AGENT_CLIENT_IDS=${placeholder_guid},${placeholder_guid}"
  export "PAYCONNECT_${env}_ONCALL_EMAIL=oncall@example.invalid"
done

failures=0

# Runs one Bicep command, shows its diagnostics, and counts it as failed on a non-zero exit or on any
# "Warning"/"Error" diagnostic. Generated JSON on stdout is discarded.
check() {
  local description="$1"
  shift
  local output status
  output="$("${bicep[@]}" "$@" 2>&1 >/dev/null)"
  status=$?
  if [[ -n "$output" ]]; then
    printf '%s\n' "$output"
  fi
  if [[ $status -ne 0 ]] || grep -qE '(: |^)(Warning|Error)( |:)' <<<"$output"; then
    echo "check-infra: FAIL  $description" >&2
    failures=$((failures + 1))
  else
    echo "check-infra: ok    $description"
  fi
}

# Make sure the CLI is there before timing anything (the first run restores it from NuGet).
"${bicep[@]}" --version >/dev/null || { echo "check-infra: cannot run the Bicep CLI" >&2; exit 2; }

check "build infra/main.bicep" build infra/main.bicep --stdout
shopt -s nullglob
params=(infra/*.bicepparam)
if [[ ${#params[@]} -eq 0 ]]; then
  echo "check-infra: FAIL  no infra/*.bicepparam found" >&2
  failures=$((failures + 1))
fi
for file in "${params[@]}"; do
  check "build-params $file" build-params "$file" --stdout
done
check "lint infra/main.bicep" lint infra/main.bicep
check "lint infra/**/*.bicep" lint --pattern 'infra/**/*.bicep'

if [[ $failures -ne 0 ]]; then
  echo "check-infra: $failures check(s) failed" >&2
  exit 1
fi
echo "check-infra: all checks passed"
