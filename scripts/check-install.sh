#!/usr/bin/env bash
# make install into a temporary prefix, then compile the README's C example
# exactly as the README says (pkg-config --cflags --libs cforkexec) against
# what was installed, run it, and check what it printed.  Nothing of the
# build tree may be used: only the installed header, library and .pc file.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

make -s -C "$root" install PREFIX="$tmp/prefix" >/dev/null
# The example is the fenced block that follows the marker line.
awk '/^<!-- readme-example.c -->$/ {on = 1; next}
     on && /^```/ {if (started) exit; started = 1; next}
     on && started {print}' "$root/README.md" > "$tmp/example.c"
test -s "$tmp/example.c" || { echo "check-install: no example found in README.md" >&2; exit 1; }

export PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig"
# shellcheck disable=SC2046 # pkg-config's output is a list of flags
cc -std=gnu11 -Wall -Wextra -Werror -o "$tmp/example" "$tmp/example.c" \
	$(pkg-config --cflags --libs cforkexec) -Wl,-rpath,"$tmp/prefix/lib"
out=$("$tmp/example")
echo "$out"
grep -q '^hello from pid 1$' <<<"$out" || { echo "check-install: the example did not run its child" >&2; exit 1; }
ldd "$tmp/example" | grep -q "$tmp/prefix/lib/libcforkexec.so.1" ||
	{ echo "check-install: the example is not linked with the installed library" >&2; exit 1; }
echo "check-install: the README example builds with pkg-config against make install PREFIX=<tmp> and runs"
