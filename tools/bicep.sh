#!/usr/bin/env bash
# Runs the Bicep CLI pinned in tools/bicep/Bicep.props: `bash tools/bicep.sh build infra/main.bicep`.
# The CLI comes from NuGet (no other download works here); it is restored on first use.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
props="$here/bicep/Bicep.props"
package="$(sed -n 's:.*<BicepCliPackage>\(.*\)</BicepCliPackage>.*:\1:p' "$props")"
version="$(sed -n 's:.*<BicepCliVersion>\(.*\)</BicepCliVersion>.*:\1:p' "$props")"
if [[ -z "$package" || -z "$version" ]]; then
  echo "bicep.sh: cannot read BicepCliPackage/BicepCliVersion from $props" >&2
  exit 2
fi

export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
packages_root="$(dotnet nuget locals global-packages --list | sed -n 's/^.*global-packages: *//p' | head -n 1)"
if [[ -z "$packages_root" ]]; then
  echo "bicep.sh: cannot find the NuGet global packages folder" >&2
  exit 2
fi
binary="${packages_root%/}/${package,,}/$version/tools/bicep"

if [[ ! -f "$binary" ]]; then
  # Restore output goes to stderr so `bicep build --stdout` stays clean JSON.
  dotnet restore "$here/bicep/Bicep.proj" --verbosity quiet >&2
fi
if [[ ! -f "$binary" ]]; then
  echo "bicep.sh: restore finished but $binary is missing" >&2
  exit 2
fi
[[ -x "$binary" ]] || chmod +x "$binary"

exec "$binary" "$@"
