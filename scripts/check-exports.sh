#!/usr/bin/env bash
# The shared library must export only cfe_ symbols and carry its SONAME.
set -euo pipefail
lib=$1
bad=$(nm -D --defined-only "$lib" | awk '$2 != "A" && $3 !~ /^cfe_/ {print $3}')
if [ -n "$bad" ]; then
	echo "check-exports: non-cfe_ symbols exported: $bad" >&2
	exit 1
fi
readelf -d "$lib" | grep -q 'SONAME.*\[libcforkexec\.so\.1\]' || {
	echo "check-exports: SONAME libcforkexec.so.1 missing" >&2
	exit 1
}
echo "check-exports: only cfe_ symbols, SONAME libcforkexec.so.1"
