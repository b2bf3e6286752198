# husk — build, test and example targets. `make help` lists them.
#
# Variables (override on the command line, e.g. `make test SCRATCH=.build-ci`):
#   SWIFT      the swift driver (default: swift on PATH, else /opt/swift/usr/bin/swift)
#   SCRATCH    SwiftPM scratch (build) dir; empty means SwiftPM's default .build
#   STATE      husk --root for `make example`
#   ITERATIONS benchmark iterations; BENCH_FLAGS extra flags for Tests/bench/bench.py
#   CONFORMANCE_SCRIPT / CONFORMANCE_FLAGS  the shared conformance runner and its options

SHELL        := /bin/bash
.SHELLFLAGS  := -euo pipefail -c
.DEFAULT_GOAL := build

SWIFT   ?= $(or $(shell command -v swift 2>/dev/null),$(wildcard /opt/swift/usr/bin/swift),swift)
SCRATCH ?=
SWIFTPM_FLAGS  := $(if $(SCRATCH),--scratch-path $(SCRATCH))
# The release link packs the functions husk runs every day together: the kernel maps a static
# binary's text 64 KiB at a time per fault (fault-around), so locality is RSS. Every function
# gets its own section (SECTION_FLAGS), lld orders them by Sources/husk.order (written by
# `make symbol-order`) and Sources/husk.ld gathers the few functions that have no symbol to
# name. A stale list costs locality only.
SYMBOL_ORDER   := $(CURDIR)/Sources/husk.order
LINK_SCRIPT    := $(CURDIR)/Sources/husk.ld
SECTION_FLAGS  := -Xswiftc -Xfrontend -Xswiftc -function-sections -Xcc -ffunction-sections -Xcc -fdata-sections
ORDER_FLAGS    := -Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld \
                  -Xlinker --symbol-ordering-file=$(SYMBOL_ORDER) -Xlinker --no-warn-symbol-ordering \
                  -Xlinker --script=$(LINK_SCRIPT)
RELEASE_FLAGS  := $(SWIFTPM_FLAGS) -c release -Xswiftc -static-executable $(SECTION_FLAGS) $(ORDER_FLAGS)
DEBUG_FLAGS    := $(SWIFTPM_FLAGS) -c debug

BIN     := bin
HUSK    := $(BIN)/husk
STATE   ?= /run/husk-example
PYTHON  ?= python3

EXAMPLE_BUNDLE := rootfs-examples/out/example
EXAMPLE_ARGS   := ["sh","-c","echo hostname: $$(hostname); echo pid: $$$$; ls /"]

ITERATIONS  ?= 30
# Tests at once: dozens of containers creating and removing v1 cgroups in parallel serialize
# in the kernel (cgroup_mutex) and blow the tests' time limits on 2 cores; 4 keeps CI steady.
TEST_WIDTH  ?= 4
BENCH_FLAGS ?=

CONFORMANCE_SCRIPT ?= $(abspath $(CURDIR)/../shared/conformance/run-validation.sh)
CONFORMANCE_FLAGS  ?= --private-mountns -t 20
CONFORMANCE_OUT    := .build-conformance

# Debian packages the build, the examples, the tests and the benchmark need.
# (The Swift toolchain itself is not an apt package: see README.md.)
DEPS := libseccomp-dev libcap-dev pkg-config libc6-dev libstdc++-12-dev libgcc-12-dev \
        binutils zlib1g-dev libzstd-dev busybox-static runc crun valgrind jq time util-linux \
        iproute2 python3 ca-certificates podman conmon uidmap catatonit bubblewrap \
        golang-github-containers-common containerd skopeo umoci libssl-dev openssl docker-registry apache2-utils

.PHONY: help deps build debug example bundle test test-cgroup-v2 bench conformance conformance-accept conformance-v2 symbol-order clean

help:
	@echo "make deps         install the Debian packages the build and tests need (apt, idempotent)"
	@echo "make [build]      release build, fully static  -> $(HUSK)"
	@echo "make debug        debug build                  -> $(BIN)/husk-debug"
	@echo "make example      build, then run a busybox container (hostname, PID 1, ls /)"
	@echo "make test         deps + build + swift test (HUSK_BINARY=$(CURDIR)/$(HUSK))"
	@echo "make test-cgroup-v2  cgroup tests on real cgroup v2 (natively, or in ../shared/vm's guest)"
	@echo "make bench        husk vs crun vs runc (ITERATIONS=$(ITERATIONS))"
	@echo "make conformance  OCI runtime-tools suite on $(HUSK), compared with Tests/conformance/expected.tsv"
	@echo "make conformance-v2  the suite's cgroup programs on real cgroup v2 (natively or in ../shared/vm's guest)"
	@echo "make symbol-order rewrite Sources/husk.order (hot functions for the release link)"
	@echo "make clean        remove build outputs"

deps:
	@missing=""; \
	for p in $(DEPS); do \
	    dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then echo "deps: all packages present"; \
	else \
	    echo "deps: installing:$$missing"; \
	    [ "$$(id -u)" = 0 ] || { echo "deps: error: run as root (or install:$$missing)" >&2; exit 1; }; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get install -y --no-install-recommends $$missing </dev/null \
	    || { apt-get update </dev/null && apt-get install -y --no-install-recommends $$missing </dev/null; }; \
	fi; \
	command -v "$(SWIFT)" >/dev/null || { echo "deps: error: no Swift toolchain ('$(SWIFT)'); install Swift 6 (swift.org) and put it on PATH, or pass SWIFT=/path/to/swift" >&2; exit 1; }

build:
	@# SwiftPM does not know the link reads $(SYMBOL_ORDER) and $(LINK_SCRIPT): a newer one
	@# forces a relink. Nor does swiftc recompile a module whose code is unchanged when only
	@# SECTION_FLAGS changed (it skips objects whose IR hash matches): a stamp drops them.
	@dir="$$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)"; \
	if [ -e "$$dir/husk" ] && { [ $(SYMBOL_ORDER) -nt "$$dir/husk" ] || [ $(LINK_SCRIPT) -nt "$$dir/husk" ]; }; then rm -f "$$dir/husk"; fi; \
	if [ -d "$$dir" ] && [ "$$(cat "$$dir/.section-flags" 2>/dev/null)" != "$(SECTION_FLAGS)" ]; then \
	    find "$$dir" -name '*.swift.o' -delete; rm -f "$$dir/husk"; \
	fi
	$(SWIFT) build $(RELEASE_FLAGS)
	@echo "$(SECTION_FLAGS)" >"$$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)/.section-flags"
	@mkdir -p $(BIN)
	install -m 0755 "$$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)/husk" $(HUSK)
	@echo "built $(HUSK)"

debug:
	$(SWIFT) build $(DEBUG_FLAGS)
	@mkdir -p $(BIN)
	install -m 0755 "$$($(SWIFT) build $(DEBUG_FLAGS) --show-bin-path)/husk" $(BIN)/husk-debug
	@echo "built $(BIN)/husk-debug"

bundle:
	rootfs-examples/busybox/build.sh

example: deps build
	HUSK_ARGS='$(EXAMPLE_ARGS)' rootfs-examples/busybox/build.sh $(EXAMPLE_BUNDLE)
	@id="example-$$$$"; \
	rc=0; $(HUSK) --root $(STATE) run --bundle $(EXAMPLE_BUNDLE) "$$id" </dev/null || rc=$$?; \
	$(HUSK) --root $(STATE) delete --force "$$id" >/dev/null 2>&1 || true; \
	exit $$rc

test: deps build
	HUSK_BINARY=$(CURDIR)/$(HUSK) \
	HUSK_BUNDLE_SCRIPT=$(CURDIR)/rootfs-examples/busybox/build.sh \
	SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH=$(TEST_WIDTH) \
	$(SWIFT) test $(SWIFTPM_FLAGS)

# The cgroup tests on real cgroup v2 (natively, or in ../shared/vm's guest on a hybrid host).
test-cgroup-v2: build
	$(SWIFT) build --build-tests $(SWIFTPM_FLAGS)
	Tests/vm/cgroup-v2.sh

bench: deps build
	$(PYTHON) Tests/bench/bench.py --husk $(HUSK) --iterations $(ITERATIONS) $(BENCH_FLAGS)

conformance: build
	SCRIPT=$(CONFORMANCE_SCRIPT) Tests/conformance/run.sh $(HUSK) $(CONFORMANCE_OUT) $(CONFORMANCE_FLAGS)

# Not in CI: runtime-tools' cgroup checks do not support cgroup v2 ("cgroupv2 is not supported
# yet"), so this only shows that; CgroupV2ProofTests prove the limits on v2 instead.
conformance-v2: build
	Tests/vm/conformance-v2.sh $(HUSK)

conformance-accept:
	@[ -f $(CONFORMANCE_OUT)/results.tsv ] || { echo "no $(CONFORMANCE_OUT)/results.tsv: run 'make conformance' first" >&2; exit 1; }
	cp $(CONFORMANCE_OUT)/results.tsv Tests/conformance/expected.tsv
	@echo "recorded Tests/conformance/expected.tsv (commit it)"

symbol-order: build
	Tests/bench/symbol-order.sh $(HUSK) $(SYMBOL_ORDER)
	$(MAKE) build

clean:
	rm -rf $(BIN) rootfs-examples/out $(CONFORMANCE_OUT)
	$(SWIFT) package $(SWIFTPM_FLAGS) clean || true
