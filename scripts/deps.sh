#!/usr/bin/env bash
# Install what building and testing cforkexec needs on Debian, only when it
# is missing, so that `make run` and `make test` work on a fresh machine.
set -euo pipefail

packages=(gcc libc6-dev make pkg-config libseccomp-dev libcmocka-dev cppcheck clang-format clang-tidy
	gcc-aarch64-linux-gnu libc6-dev-arm64-cross valgrind abigail-tools clang)
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "installing: ${missing[*]}"
	if [ "$(id -u)" -ne 0 ]; then
		echo "deps.sh: need root to install ${missing[*]}" >&2
		exit 1
	fi
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# libFuzzer (make fuzz) comes with clang's compiler runtime, in a package
# named after clang's major version (libclang-rt-14-dev on Debian 12).
if ! compgen -G "$(clang --print-runtime-dir)/libclang_rt.fuzzer*.a" >/dev/null; then
	rt="libclang-rt-$(clang -dumpversion | cut -d. -f1)-dev"
	echo "installing: $rt"
	if [ "$(id -u)" -ne 0 ]; then
		echo "deps.sh: need root to install $rt" >&2
		exit 1
	fi
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$rt" >/dev/null
fi

# Go is on this project's machines at /usr/local/go; staticcheck comes from
# the Go module proxy.
export PATH="/usr/local/go/bin:$PATH"
if ! command -v go >/dev/null; then
	echo "deps.sh: Go is missing (expected at /usr/local/go)" >&2
	exit 1
fi
if [ ! -x "$(go env GOPATH)/bin/staticcheck" ]; then
	echo "installing: staticcheck"
	go install honnef.co/go/tools/cmd/staticcheck@v0.7.0
fi
