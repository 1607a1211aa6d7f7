#!/usr/bin/env bash
# Installs the SARIF 2.1.0 JSON Schema that TestSARIFSchema validates the
# SARIF goldens against. It comes from Microsoft's SARIF SDK as published on
# npm (@microsoft/sarif-multitool-linux ships sarif-2.1.0.json at the package
# root). Only that one file is extracted, into a node_modules-shaped path, so
# the 90 MB of .NET binaries in the package never land on disk. The version is
# pinned and the file's sha256 is checked, so a changed upload fails loudly.
#
# Usage: bash validate/report/testdata/install-sarif-schema.sh
# Result: validate/report/testdata/node_modules/@microsoft/sarif-multitool-linux/sarif-2.1.0.json
set -euo pipefail

pkg='@microsoft/sarif-multitool-linux'
version='5.7.0'
file='sarif-2.1.0.json'
sha256='1c49a0f2b60444c71bb14878e21e0d882198eff4c539861b133093ad89ed798c'

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dest="$here/node_modules/$pkg"

if [ -f "$dest/$file" ] && echo "$sha256  $dest/$file" | sha256sum -c --quiet - 2>/dev/null; then
	echo "install-sarif-schema: $dest/$file already present"
	exit 0
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

tarball="$(cd "$tmp" && npm pack --silent "$pkg@$version")"
tar -xzf "$tmp/$tarball" -C "$tmp" "package/$file"
echo "$sha256  $tmp/package/$file" | sha256sum -c --quiet -

mkdir -p "$dest"
mv "$tmp/package/$file" "$dest/$file"
echo "install-sarif-schema: installed $dest/$file ($pkg@$version)"
