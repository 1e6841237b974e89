# cforkexec: build, test, bench, install.  `make run` and `make test` are the
# README's two commands; both install their Debian dependencies first.

CC        ?= gcc
export PATH := /usr/local/go/bin:$(PATH)
PREFIX    ?= /usr/local
BUILD     := build
ARCH      := $(shell uname -m)

WARN      := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes
CFLAGS    ?= -O2 -g
ALLCFLAGS := -std=gnu11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -fPIC -fvisibility=hidden -Ic/include

LIB_SRC   := $(wildcard c/src/*.c)
# The seccomp policy builder, the only part that needs libseccomp, in its
# own directory: what compiles c/src/*.c alone (the cgo bindings, the
# fuzzer, the aarch64 cross build) stays without it.
SECCOMP_SRC := c/src/seccomp/seccomp_policy.c
ifeq ($(ARCH),aarch64)
CLONE_ASM := c/src/arch/clone_aarch64.S
else
CLONE_ASM := c/src/arch/clone_x86_64.S
endif
LIB_OBJ   := $(LIB_SRC:c/src/%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/clone_asm.o \
	$(SECCOMP_SRC:c/src/%.c=$(BUILD)/obj/%.o)
HEADERS   := c/include/cforkexec.h c/include/cforkexec_seccomp.h $(wildcard c/src/*.h c/src/arch/*.h)

STATIC    := $(BUILD)/libcforkexec.a
SHARED    := $(BUILD)/libcforkexec.so.1
PC        := $(BUILD)/cforkexec.pc
PROBE     := $(BUILD)/probe
POLICY_PROG := $(BUILD)/policy-prog
DEMO      := $(BUILD)/sandbox-demo

UNIT      := $(BUILD)/unit-tests
INTEG     := $(BUILD)/integration-tests
HEAPCHECK := $(BUILD)/check-heap
SOAK      := $(BUILD)/soak

# Starts of the soak (mixed, then under a signal storm): short in make
# test, long in make soak.
SOAK_SHORT := 2000 1000
SOAK_LONG  := 10000 5000

STATICCHECK := $(shell go env GOPATH)/bin/staticcheck

# The reference module (github.com/criyle/go-sandbox) where the configured
# module proxy does not serve it: ../shared/goproxy, a file-based proxy,
# when that folder exists.  go.sum still guards the module.  Nothing else
# depends on it: with the public proxy, go.mod and go.sum suffice.
ifneq ($(wildcard ../shared/goproxy/github.com),)
export GOPROXY   := file://$(abspath ../shared/goproxy),$(shell go env GOPROXY)
export GONOSUMDB := github.com/criyle/go-sandbox
endif

# Builds without the C core (go/forkexec delegates to the reference there):
# every one must compile, tests included.
FALLBACK_TARGETS := linux/386 linux/arm linux/riscv64 linux/ppc64le linux/loong64 linux/mips64le \
	darwin/arm64 darwin/amd64

# make bench: BENCH_COUNT passes; in each, BENCH_ROUNDS rounds of every
# configuration at every heap size through the reference and through ours,
# one right after the other, BENCH_TIME starts each; medians of the samples
# and of the ratios of each adjacent pair.
BENCH_COUNT  ?= 5
BENCH_ROUNDS ?= 10
BENCH_TIME   ?= 20x

.PHONY: all deps run test test-c test-go test-fallback abi-check install-check lint cross-aarch64 check-heap install clean asan valgrind bench soak fuzz

all: $(STATIC) $(SHARED) $(PC) $(PROBE) $(POLICY_PROG) $(DEMO)

deps:
	@scripts/deps.sh

$(BUILD)/obj/%.o: c/src/%.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(ALLCFLAGS) -c -o $@ $<

$(BUILD)/obj/clone_asm.o: $(CLONE_ASM)
	@mkdir -p $(@D)
	$(CC) $(ALLCFLAGS) -c -o $@ $<

$(STATIC): $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

$(SHARED): $(LIB_OBJ) c/libcforkexec.map
	$(CC) -shared -Wl,-soname,libcforkexec.so.1 -Wl,--version-script=c/libcforkexec.map \
		-Wl,-z,noexecstack -o $@ $(LIB_OBJ) -lseccomp -lpthread
	ln -sf libcforkexec.so.1 $(BUILD)/libcforkexec.so

$(PC): c/cforkexec.pc.in
	@mkdir -p $(@D)
	sed 's|@PREFIX@|$(PREFIX)|g' $< > $@

# The probe is static so that it runs inside a pivot root without libraries.
$(PROBE): tests/probe.c
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -D_GNU_SOURCE $(WARN) -O2 -static -o $@ $<

# What the seccomp policy tests run under the judge lists; static like the
# probe.
$(POLICY_PROG): tests/policy_prog.c
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -D_GNU_SOURCE $(WARN) -O2 -static -o $@ $<

$(DEMO): c/examples/sandbox_demo.c $(STATIC)
	$(CC) -std=gnu11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -Ic/include -o $@ $< $(STATIC) -lseccomp -lpthread

TEST_SUPPORT := tests/support.c tests/children.c
TEST_HEADERS := tests/support.h tests/children.h

$(UNIT): $(wildcard tests/unit_*.c) $(LIB_SRC) $(SECCOMP_SRC) $(HEADERS)
	$(CC) -std=gnu11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -Ic/include -Ic/src -o $@ $(wildcard tests/unit_*.c) \
		$(filter-out c/src/child.c c/src/clone.c c/src/start.c,$(LIB_SRC)) $(SECCOMP_SRC) \
		$(shell pkg-config --cflags --libs cmocka libseccomp) -lpthread

$(INTEG): $(wildcard tests/integ_*.c) $(TEST_SUPPORT) $(TEST_HEADERS) $(STATIC)
	$(CC) -std=gnu11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -Ic/include -Itests -o $@ $(wildcard tests/integ_*.c) \
		$(TEST_SUPPORT) $(STATIC) $(shell pkg-config --cflags --libs cmocka libseccomp) -lpthread

$(HEAPCHECK): tests/check_heap.c $(STATIC)
	$(CC) -std=gnu11 -D_GNU_SOURCE $(WARN) -O2 -Ic/include -o $@ $< $(STATIC) -lseccomp -lpthread

$(SOAK): tests/soak.c tests/children.c tests/children.h $(STATIC)
	$(CC) -std=gnu11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -Ic/include -Itests -o $@ tests/soak.c tests/children.c \
		$(STATIC) -lseccomp -lpthread

# Sanitizer builds of both suites.  The child's code runs on its own stack
# in the parent's memory and may not touch the sanitizers' thread state, so
# child.c is built without them.
SAN       := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
ASAN_OBJ  := $(LIB_SRC:c/src/%.c=$(BUILD)/asan/%.o) $(BUILD)/asan/clone_asm.o \
	$(SECCOMP_SRC:c/src/%.c=$(BUILD)/asan/%.o)

$(BUILD)/asan/child.o: c/src/child.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(ALLCFLAGS) -O1 -c -o $@ $<

$(BUILD)/asan/%.o: c/src/%.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(ALLCFLAGS) -O1 $(SAN) -c -o $@ $<

$(BUILD)/asan/clone_asm.o: $(CLONE_ASM)
	@mkdir -p $(@D)
	$(CC) $(ALLCFLAGS) -c -o $@ $<

$(BUILD)/asan/unit-tests: $(wildcard tests/unit_*.c) $(ASAN_OBJ)
	$(CC) -std=gnu11 -D_GNU_SOURCE $(WARN) -O1 -g $(SAN) -Ic/include -Ic/src -o $@ $(wildcard tests/unit_*.c) \
		$(ASAN_OBJ) $(shell pkg-config --cflags --libs cmocka libseccomp) -lpthread

$(BUILD)/asan/integration-tests: $(wildcard tests/integ_*.c) $(TEST_SUPPORT) $(TEST_HEADERS) $(ASAN_OBJ)
	$(CC) -std=gnu11 -D_GNU_SOURCE $(WARN) -O1 -g $(SAN) -Ic/include -Itests -o $@ $(wildcard tests/integ_*.c) \
		$(TEST_SUPPORT) $(ASAN_OBJ) $(shell pkg-config --cflags --libs cmocka libseccomp) -lpthread

asan: $(BUILD)/asan/unit-tests $(BUILD)/asan/integration-tests $(PROBE) $(POLICY_PROG)
	$(BUILD)/asan/unit-tests
	CFE_PROBE=$(abspath $(PROBE)) CFE_POLICY_PROG=$(abspath $(POLICY_PROG)) $(BUILD)/asan/integration-tests

valgrind: $(UNIT)
	valgrind -q --error-exitcode=1 --leak-check=full $(UNIT)

# make run: cfe-run (go/cmd/cfe-run) judges examples/solution/sum.c, compiled
# here (static where libc's archive is installed, so that it needs nothing
# of the sandbox's root), on examples/solution/sum.in, and prints its JSON
# result and the solution's output.
CFE_RUN     := $(BUILD)/cfe-run
SUM         := $(BUILD)/run/sum
SUM_STATIC  := $(if $(filter /%,$(shell $(CC) -print-file-name=libc.a)),-static)

$(SUM): examples/solution/sum.c
	@mkdir -p $(@D)
	$(CC) -std=gnu11 $(WARN) -O2 $(SUM_STATIC) -o $@ $<

run: deps $(SUM)
	$(GO_ENV) go build -o $(CFE_RUN) ./go/cmd/cfe-run
	$(CFE_RUN) --time 1 --memory 64M --stdin examples/solution/sum.in --stdout $(BUILD)/run/sum.out -- $(SUM)
	@echo "the solution's output ($(BUILD)/run/sum.out):"
	@cat $(BUILD)/run/sum.out

test: deps
	$(MAKE) test-c
	$(MAKE) test-go
	$(MAKE) fuzz

test-c: all $(UNIT) $(INTEG) $(SOAK)
	$(UNIT)
	CFE_PROBE=$(abspath $(PROBE)) CFE_POLICY_PROG=$(abspath $(POLICY_PROG)) $(INTEG)
	CFE_PROBE=$(abspath $(PROBE)) $(SOAK) $(SOAK_SHORT)
	@scripts/check-exports.sh $(SHARED)
	$(MAKE) asan
	$(MAKE) valgrind
	$(MAKE) cross-aarch64
	$(MAKE) abi-check
	$(MAKE) install-check
	$(MAKE) lint

# The Go build cache does not see the C files that bindings/ includes from
# c/: a hash of them in CGO_CFLAGS makes every change rebuild the package.
C_HASH    = $(shell cat c/include/*.h c/src/*.c c/src/*.h c/src/arch/* c/src/seccomp/* | sha1sum | cut -c1-16)
GO_ENV    = CGO_CFLAGS="-O2 -g -DCFE_SOURCES_$(C_HASH)"

test-go:
	@test -z "$$(gofmt -l bindings go)" || { gofmt -l bindings go; echo "gofmt: files above need formatting"; exit 1; }
	$(GO_ENV) go vet ./...
	$(GO_ENV) go test -count=1 ./...
	$(GO_ENV) go test -race -count=1 ./...
	$(GO_ENV) $(STATICCHECK) ./...
	$(MAKE) test-fallback

# Without cgo the Go suite runs against the fallback; the other GOOS/GOARCH
# pairs are compiled (go build; the tests type-checked by go vet).
test-fallback:
	CGO_ENABLED=0 go test -count=1 ./go/...
	CGO_ENABLED=0 $(STATICCHECK) ./go/...
	@for t in $(FALLBACK_TARGETS); do \
		echo "go build and go vet for $$t (fallback)"; \
		GOOS=$${t%/*} GOARCH=$${t#*/} go build ./... || exit 1; \
		GOOS=$${t%/*} GOARCH=$${t#*/} go vet ./... || exit 1; done
	@echo "fallback builds: ok"

# Fuzzing: FUZZ_TIME seconds of each fuzzer, then their execution counts.
# fuzz-config, a libFuzzer target built with clang and its sanitizers,
# loads and plans configurations in-process (the library without child.c,
# clone.c and start.c: nothing is cloned); it runs on a fresh copy of
# tests/fuzz/corpus/config, so runs do not grow the committed corpus, and
# writes what it finds to $(BUILD)/fuzz/.  FuzzRunnerConfig starts the probe
# through go/forkexec (new inputs go to Go's fuzz cache, failures to
# go/forkexec/testdata/fuzz); its inputs are not minimised (each takes
# milliseconds).
FUZZ_TIME    ?= 30
FUZZ_CC      ?= clang
FUZZ_LIB_SRC := c/src/config.c c/src/plan.c c/src/fdplan.c c/src/idmap.c c/src/arena_pool.c
FUZZ_CONFIG  := $(BUILD)/fuzz/fuzz-config

$(FUZZ_CONFIG): tests/fuzz/fuzz_config.c $(FUZZ_LIB_SRC) $(HEADERS)
	@mkdir -p $(@D)
	$(FUZZ_CC) -std=gnu11 -D_GNU_SOURCE $(WARN) -O1 -g -fno-omit-frame-pointer \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Ic/include -Ic/src \
		-o $@ tests/fuzz/fuzz_config.c $(FUZZ_LIB_SRC)

fuzz: $(FUZZ_CONFIG)
	rm -rf $(BUILD)/fuzz/corpus && mkdir -p $(BUILD)/fuzz/corpus
	cp tests/fuzz/corpus/config/* $(BUILD)/fuzz/corpus/
	$(FUZZ_CONFIG) -max_total_time=$(FUZZ_TIME) -max_len=8192 -timeout=10 -print_final_stats=1 \
		-artifact_prefix=$(BUILD)/fuzz/ $(BUILD)/fuzz/corpus > $(BUILD)/fuzz/config.log 2>&1 \
		|| { tail -40 $(BUILD)/fuzz/config.log; exit 1; }
	$(GO_ENV) go test -run '^$$' -fuzz '^FuzzRunnerConfig$$' -fuzztime $(FUZZ_TIME)s -fuzzminimizetime 0s \
		./go/forkexec > $(BUILD)/fuzz/go.log 2>&1 || { tail -40 $(BUILD)/fuzz/go.log; exit 1; }
	@echo "fuzz-config (libFuzzer): $$(sed -n 's/^stat::number_of_executed_units: *//p' \
		$(BUILD)/fuzz/config.log) executions in $(FUZZ_TIME) s"
	@echo "FuzzRunnerConfig (go test -fuzz): $$(sed -n 's/.*execs: \([0-9]*\).*/\1/p' \
		$(BUILD)/fuzz/go.log | tail -1) executions in $(FUZZ_TIME) s"
	@echo "logs: $(BUILD)/fuzz/config.log $(BUILD)/fuzz/go.log"

check-heap: deps $(HEAPCHECK) $(PROBE)
	$(HEAPCHECK) $(PROBE)

# The long soak: the C one, then the Go one (CFE_SOAK=1 makes it long).
soak: all $(SOAK)
	CFE_PROBE=$(abspath $(PROBE)) $(SOAK) $(SOAK_LONG)
	CFE_SOAK=1 $(GO_ENV) go test -count=1 -run Soak -v ./go/forkexec

# ABI: the shared library against the committed version 1 baseline
# (abi/libcforkexec.so.1.abi, abidw of the library as released).  Any
# change abidiff reports fails, but those the ABI rules allow and
# abi/cforkexec.abignore suppresses (fields appended to struct cfe_config,
# new functions).  Then a program compiled against the version 1 header
# runs against this library.
ABI_V1_CALLER := $(BUILD)/abi-v1-caller

$(ABI_V1_CALLER): tests/abi_v1_caller.c abi/cforkexec-v1.h $(SHARED)
	$(CC) -std=gnu11 -D_GNU_SOURCE $(WARN) -O2 -Iabi -o $@ tests/abi_v1_caller.c \
		-L$(BUILD) -l:libcforkexec.so.1 -Wl,-rpath,$(abspath $(BUILD))

abi-check: $(SHARED) $(ABI_V1_CALLER) $(PROBE)
	@rc=0; abidiff --suppressions abi/cforkexec.abignore --headers-dir2 c/include --drop-private-types \
		abi/libcforkexec.so.1.abi $(SHARED) || rc=$$?; \
	if [ $$rc -ne 0 ]; then echo "abi-check: abidiff exit $$rc: a change the ABI rules do not allow"; exit 1; fi; \
	echo "abi-check: compatible with the version 1 baseline"
	$(ABI_V1_CALLER) $(abspath $(PROBE))

# The library must build for aarch64 too: compile it with Debian's cross gcc.
# Without the seccomp builder (SECCOMP_SRC is not in LIB_SRC): Debian's
# cross toolchain packages have no aarch64 libseccomp to compile it against.
cross-aarch64:
	@mkdir -p $(BUILD)/aarch64
	for f in $(LIB_SRC) c/src/arch/clone_aarch64.S; do \
		aarch64-linux-gnu-gcc -std=gnu11 -D_GNU_SOURCE $(WARN) -O2 -fPIC -fvisibility=hidden -Ic/include \
			-c -o $(BUILD)/aarch64/$$(basename $$f).o $$f || exit 1; done
	aarch64-linux-gnu-gcc -shared -Wl,--version-script=c/libcforkexec.map \
		-o $(BUILD)/aarch64/libcforkexec.so.1 $(BUILD)/aarch64/*.o
	@echo "aarch64 cross build: ok"

lint:
	clang-format --dry-run -Werror c/include/*.h c/src/*.c c/src/*.h c/src/arch/*.h c/src/seccomp/*.c \
		tests/*.c tests/*.h \
		tests/fuzz/*.c c/examples/*.c
	cppcheck --enable=warning,style,performance,portability --error-exitcode=1 --inline-suppr -q \
		--suppress=missingIncludeSystem -Ic/include -Ic/src c/src tests c/examples
	clang-tidy --quiet c/src/*.c c/src/seccomp/*.c c/examples/*.c -- -std=gnu11 -D_GNU_SOURCE -Ic/include -Ic/src
	@echo "lint: ok"

install: $(STATIC) $(SHARED)
	install -d $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 644 c/include/cforkexec.h c/include/cforkexec_seccomp.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 $(STATIC) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(SHARED) $(DESTDIR)$(PREFIX)/lib/
	ln -sf libcforkexec.so.1 $(DESTDIR)$(PREFIX)/lib/libcforkexec.so
	sed 's|@PREFIX@|$(PREFIX)|g' c/cforkexec.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/cforkexec.pc

# make install into a temporary prefix, then the README's C example built
# with pkg-config against it and run.
install-check: $(STATIC) $(SHARED)
	scripts/check-install.sh

bench: deps
	@command -v gnuplot >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gnuplot-nox >/dev/null; }
	@mkdir -p $(BUILD)/bench
	@rm -f $(BUILD)/bench/raw.txt
	@for i in $$(seq $(BENCH_COUNT)); do \
		echo "bench pass $$i of $(BENCH_COUNT)"; \
		(cd go/forkexec && CFE_BENCH_ROUNDS=$(BENCH_ROUNDS) $(GO_ENV) go test -run '^$$' -bench 'Start' -benchtime $(BENCH_TIME) -benchmem -count 1) \
			>> $(BUILD)/bench/raw.txt || exit 1; done
	@rm -f $(BUILD)/bench/table.md $(BUILD)/bench/bench.dat $(BUILD)/bench/bench.gp $(BUILD)/bench/bench.png $(BUILD)/bench/bench.svg
	go run ./go/cmd/benchtable -plot $(BUILD)/bench < $(BUILD)/bench/raw.txt > $(BUILD)/bench/table.md
	@cat $(BUILD)/bench/table.md
	cd $(BUILD)/bench && gnuplot bench.gp
	@echo "table: $(BUILD)/bench/table.md"
	@echo "plot: $(BUILD)/bench/bench.png $(BUILD)/bench/bench.svg (data and script: bench.dat, bench.gp)"
	@echo "raw results: $(BUILD)/bench/raw.txt"

clean:
	rm -rf $(BUILD)
