# SPDX-License-Identifier: MIT
# The front door. `make test` and `make demo` do every set-up step on a fresh Debian 12
# machine (install what is missing, configure, build), then run.
BUILD ?= build
ASAN_BUILD ?= build-asan
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo

.PHONY: all deps build build-vigil test test-fast test-asan demo fuzz bench clean format

all: build

deps:
	@tools/install-deps.sh

# cmake's own make must not inherit ours (it would print every directory change).
CMAKE_BUILD = env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS cmake --build

build: deps
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null
	@$(CMAKE_BUILD) $(BUILD) -j$(JOBS)

build-vigil: deps
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null
	@$(CMAKE_BUILD) $(BUILD) -j$(JOBS) --target vigil

# Unit, golden, end-to-end, corpus replay and cross-compile tests, then the same suite built
# with AddressSanitizer + UndefinedBehaviorSanitizer.
test: test-fast test-asan

test-fast: build
	ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS)

test-asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DVIGIL_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
	@$(CMAKE_BUILD) $(ASAN_BUILD) -j$(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir $(ASAN_BUILD) --output-on-failure -j$(JOBS)

demo: build-vigil
	@tools/demo.sh $(BUILD)

# libFuzzer runs of every fuzz target (clang); FUZZ_SECONDS per target.
FUZZ_SECONDS ?= 60
fuzz: deps
	@tools/fuzz.sh $(FUZZ_SECONDS)

bench: build
	@bench/run.sh $(BUILD)

format:
	clang-format -i core/src/*.c core/include/vigil/*.h host/vigil/*.[ch] host/tools/*.c host/collector/*.[ch] host/loadgen/*.c \
	  tests/unit/*.[ch] tests/fuzz/*.c firmware/app/*.[ch] firmware/ports/*/*.c tests/mcu/*.c tools/qemu-icount/*.c

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-fuzz
