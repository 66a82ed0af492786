#  herd - one non-recursive Makefile.  `make run` and `make test` are the
#  two commands a new machine needs; both install missing Debian packages.

CC      ?= cc
CFLAGS  ?= -O2 -g
BUILD   ?= build
TOPOLOGY ?= deploy/topologies/cs131-2022.zpl

PKGS     := libczmq libzmq libcurl libcjson
#  Debian packages: what building and running need (make run), and what
#  the tests add (make test).  nc and curl are for README's examples.
RUN_APT  := gcc libc6-dev make pkg-config libczmq-dev libzmq3-dev \
            libcurl4-openssl-dev libcjson-dev ca-certificates netcat-openbsd curl
TEST_APT := libcmocka-dev clang-format clang libclang-rt-14-dev cppcheck \
            iptables iproute2 libnetfilter-queue-dev mandoc

#  Short compile lines (CC src/herd_node.c); make V=1 prints them whole.
V ?= 0
ifeq ($(V),1)
Q    :=
SAY  := @true
else
Q    := @
SAY  := @printf '%-4s %s\n'
endif

#  Project flags live apart from CFLAGS so `make CFLAGS=...` keeps them.
#  pkg-config is expanded lazily: `deps` may have just installed it.
HERD_CFLAGS = -std=c11 -D_GNU_SOURCE -Iinclude -MMD -MP \
    -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
    -Wmissing-prototypes -Wformat=2 -Wvla -Wcast-qual -Wnull-dereference \
    -Wundef -Werror $(shell pkg-config --cflags $(PKGS))
LIBS      = $(shell pkg-config --libs $(PKGS)) -lm
TEST_LIBS = $(shell pkg-config --libs cmocka)

#  herd_pid defines getpid for the whole program (src/herd_pid.c): it goes
#  into the herd program and its own test only, never into libherd.a.
LIB_SRC   := $(filter-out src/herd.c src/herd_pid.c,$(wildcard src/*.c))
PID_LDFLAGS := -Wl,--export-dynamic-symbol=getpid
LIB_OBJ   := $(LIB_SRC:src/%.c=$(BUILD)/src/%.o)
TEST_SRC  := $(wildcard tests/test_*.c)
FUZZ_TARGETS := client frame topology places
FUZZ_SECONDS ?= 300
FUZZ_CFLAGS  := -O1 -g -fno-omit-frame-pointer \
    -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
TEST_BIN  := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
HARNESS   := $(BUILD)/tests/herd_test.o $(BUILD)/tests/herd_test_net.o \
    $(BUILD)/tests/herd_test_peer.o \
    $(BUILD)/tests/herd_test_monitor.o

.SECONDARY:
.PHONY: all run test check asan valgrind bench soak compose-test swarm-test deps-docker format \
    format-check lint deps deps-run clean \
    fuzz fuzz-short fuzz-run fuzz-replay

all: $(BUILD)/herd $(TEST_BIN)

#  Before a first compile: if a compiler or a library is missing, say which
#  Debian packages would bring them, and how to get them (dpkg is asked
#  only then, so libraries found another way do as well).
BUILD_APT := gcc libc6-dev pkg-config libczmq-dev libzmq3-dev \
    libcurl4-openssl-dev libcjson-dev
.PHONY: deps-present deps-present-tests
deps-present:
	@command -v $(firstword $(CC)) >/dev/null 2>&1 && pkg-config --exists $(PKGS) 2>/dev/null \
	    || deploy/apt-deps.sh --check build/deps.log $(BUILD_APT)
deps-present-tests: deps-present
	@pkg-config --exists cmocka 2>/dev/null \
	    || deploy/apt-deps.sh --check build/deps.log libcmocka-dev

$(BUILD)/src/%.o: src/%.c | deps-present
	@mkdir -p $(@D)
	$(SAY) CC $<
	$(Q)$(CC) $(HERD_CFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/libherd.a: $(LIB_OBJ)
	$(SAY) AR $@
	$(Q)$(AR) rcs $@ $^

$(BUILD)/herd: $(BUILD)/src/herd.o $(BUILD)/src/herd_pid.o $(BUILD)/libherd.a
	$(SAY) LD $@
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $(PID_LDFLAGS) $^ $(LIBS) -o $@

$(BUILD)/tests/%.o: tests/%.c | deps-present-tests
	@mkdir -p $(@D)
	$(SAY) CC $<
	$(Q)$(CC) $(HERD_CFLAGS) $(CFLAGS) -Itests -c $< -o $@

$(BUILD)/tests/test_%: $(BUILD)/tests/test_%.o $(HARNESS) $(BUILD)/libherd.a
	$(SAY) LD $@
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(TEST_LIBS) $(LIBS) -o $@
$(BUILD)/tests/test_herd_pid: $(BUILD)/src/herd_pid.o
$(BUILD)/tests/test_herd_pid: LDFLAGS += $(PID_LDFLAGS)

#  The two commands of README.md.
run: deps-run
	@$(MAKE) --no-print-directory $(BUILD)/herd
	$(BUILD)/herd up -t $(TOPOLOGY)

#  make test: every test, then again under ASan and UBSan, then the fuzz
#  targets for a few seconds each (about 5 minutes on 2 cores).
test: deps
	@echo "== make check: build, format, lint, install, then every test"
	@$(MAKE) --no-print-directory check
	@echo "== make asan: every test again, built with ASan and UBSan"
	@$(MAKE) --no-print-directory asan
	@echo "== make fuzz-short: each fuzz target for 5 s"
	@$(MAKE) --no-print-directory fuzz-short
	@echo "== make test: all passed"

check: all format-check lint fuzz-replay install-check deps-check
	@HERD_BIN=$(abspath $(BUILD)/herd) HERD_SHAPER=$(abspath $(BUILD)/tests/herd_shaper) \
	    tests/run.sh $(TEST_BIN)

#  The benchmark (tests/bench/*.c, one program): not a test, asserts
#  nothing; prints a table and writes $(BUILD)/bench.json.
#  BENCH_ARGS=--quick for a short run, --only SECTION for one part.  Its
#  rivals section runs Redis and NATS, installed here when missing (bench
#  only: neither run nor test needs them).
BENCH_SRC := $(wildcard tests/bench/*.c)
$(BUILD)/bench/herd_bench: $(BENCH_SRC) $(wildcard tests/bench/*.h) \
    $(BUILD)/libherd.a
	@mkdir -p $(@D)
	$(SAY) LD $@
	$(Q)$(CC) $(HERD_CFLAGS) $(CFLAGS) $(filter %.c %.a,$^) $(LIBS) \
	    -lpthread -o $@

bench: deps-run
	@deploy/apt-deps.sh build/deps.log redis-server nats-server \
	    || echo "bench: redis-server or nats-server not installed: their rows will say so"
	@$(MAKE) --no-print-directory $(BUILD)/herd $(BUILD)/bench/herd_bench
	$(BUILD)/bench/herd_bench --herd $(BUILD)/herd --out $(BUILD)/bench.json $(BENCH_ARGS)

#  The default herd under docker-compose, checked over 127.0.0.1 (needs
#  root and Docker's engine: docker.io, docker-compose, debootstrap).
compose-test: deps-run
	@command -v dockerd >/dev/null && command -v docker-compose >/dev/null \
	    || $(MAKE) --no-print-directory deps-docker
	@$(MAKE) --no-print-directory $(BUILD)/herd
	deploy/compose-test.sh

#  The default herd under Docker Swarm (docker stack deploy of
#  deploy/docker-stack.yml), checked over 127.0.0.1; makes a one-node swarm
#  if the engine is in none and leaves it after (needs root and Docker).
swarm-test: deps-run
	@command -v dockerd >/dev/null || $(MAKE) --no-print-directory deps-docker
	@$(MAKE) --no-print-directory $(BUILD)/herd
	deploy/swarm-test.sh

deps-docker:
	sudo=; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo \
	    apt-get install -y -qq --no-install-recommends docker.io docker-compose debootstrap

#  The churn soak for as long as you like (make test runs it for 10 s).
SOAK_SECONDS ?= 60
soak: deps
	@$(MAKE) --no-print-directory all
	@HERD_BIN=$(abspath $(BUILD)/herd) HERD_SOAK_SECONDS=$(SOAK_SECONDS) \
	    tests/run.sh $(BUILD)/tests/test_e2e_sync

#  Fuzz targets (tests/fuzz/): replayed over their seeds and every past
#  crash by any compiler (part of check), and run under libFuzzer with
#  ASan and UBSan for FUZZ_SECONDS each: 5 in `make test`, 300 in `make fuzz`.
$(BUILD)/fuzz/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(BUILD)/libherd.a
	@mkdir -p $(@D)
	$(SAY) CC $@
	$(Q)$(CC) $(HERD_CFLAGS) $(CFLAGS) $^ $(LIBS) -o $@

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(BUILD)/libherd.a
	@mkdir -p $(@D)
	$(SAY) CC $@
	$(Q)$(CC) $(HERD_CFLAGS) $(CFLAGS) -fsanitize=fuzzer $^ $(LIBS) -o $@

fuzz-replay: $(FUZZ_TARGETS:%=$(BUILD)/fuzz/replay_%)
	@for t in $(FUZZ_TARGETS); do \
	    $(BUILD)/fuzz/replay_$$t tests/fuzz/corpus/$$t tests/fuzz/crashes/$$t || exit 1; \
	done

fuzz-short: deps
	@$(MAKE) --no-print-directory fuzz-run FUZZ_SECONDS=5

fuzz: deps
	@$(MAKE) --no-print-directory fuzz-run

#  New inputs go to build-fuzz/corpus, crashes to build-fuzz/crashes:
#  copy a crash into tests/fuzz/crashes/<target>/ once it is fixed.
fuzz-run:
	@$(MAKE) --no-print-directory BUILD=build-fuzz CC=clang CFLAGS="$(FUZZ_CFLAGS)" \
	    $(FUZZ_TARGETS:%=build-fuzz/fuzz/fuzz_%)
	@for t in $(FUZZ_TARGETS); do \
	    mkdir -p build-fuzz/corpus/$$t build-fuzz/crashes; \
	    log=build-fuzz/fuzz_$$t.log; \
	    if build-fuzz/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
	        -artifact_prefix=build-fuzz/crashes/$$t- \
	        build-fuzz/corpus/$$t tests/fuzz/corpus/$$t >$$log 2>&1; then \
	        echo "fuzz $$t: $$(grep -o 'Done [0-9]* runs in [0-9]* second(s)' $$log)"; \
	    else \
	        tail -n 40 $$log; echo "fuzz $$t: FAILED (see $$log)"; exit 1; \
	    fi; \
	done

#  Sanitizers: the whole suite again in its own build tree.
asan: deps
	@HERD_SANITIZED=1 LSAN_OPTIONS=suppressions=$(abspath tests/lsan.supp) \
	    $(MAKE) --no-print-directory check BUILD=build-asan CC=clang \
	    CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all"

#  Every test program, and every node they start, under valgrind.
valgrind: deps
	@$(MAKE) --no-print-directory all
	@deploy/apt-deps.sh build/deps.log valgrind
	@HERD_BIN=$(abspath $(BUILD)/herd) HERD_VALGRIND=1 \
	    HERD_WRAP="valgrind -q --leak-check=full --error-exitcode=99" \
	    tests/run.sh $(TEST_BIN)

FORMATTED := src/*.c src/*.h include/*.h tests/*.c tests/*.h tests/fuzz/*.c \
    tests/bench/*.c tests/bench/*.h

format:
	clang-format -i $(FORMATTED)

format-check:
	@clang-format --dry-run --Werror $(FORMATTED)

lint:
	cppcheck --quiet --enable=warning,style,performance --error-exitcode=1 \
	    --suppress=missingIncludeSystem -Iinclude -I/usr/include/cjson src tests

#  The simulated network (tests/herd_test_netsim.h): each node in a network
#  namespace of its own, faults by iptables, tc and our NFQUEUE delayer
#  (herd_shaper, built only where libnetfilter_queue is: the tests say why
#  they skip otherwise).  make check runs the short scenarios (about 30 s,
#  as root); make netsim the long ones (a few minutes).
NETSIM_HARNESS := $(BUILD)/tests/herd_test_netsim.o \
    $(BUILD)/tests/herd_test_netsim_probe.o $(BUILD)/tests/herd_test_netsim_check.o
NETSIM_TESTS := $(filter $(BUILD)/tests/test_e2e_netsim%,$(TEST_BIN))
FORMATTED += tests/netsim/*.c

$(NETSIM_TESTS): $(NETSIM_HARNESS) | $(BUILD)/tests/herd_shaper
#  The harness comes after libherd.a in the link, and uses it
$(NETSIM_TESTS): TEST_LIBS += $(BUILD)/libherd.a

$(BUILD)/tests/herd_shaper: tests/netsim/herd_shaper.c
	@mkdir -p $(@D)
	@if pkg-config --exists libnetfilter_queue; then \
	    echo "CC   $<"; \
	    $(CC) $(HERD_CFLAGS) $(CFLAGS) $< $$(pkg-config --libs libnetfilter_queue) -o $@; \
	else \
	    echo "netsim: no libnetfilter_queue, $@ not built (the netsim tests will skip)"; \
	fi

.PHONY: netsim
netsim: deps
	@$(MAKE) --no-print-directory all
	@HERD_BIN=$(abspath $(BUILD)/herd) HERD_SHAPER=$(abspath $(BUILD)/tests/herd_shaper) \
	    HERD_NETSIM=full tests/run.sh $(NETSIM_TESTS)

#  Installs the Debian packages that are missing: deps-run what building
#  and running need, deps the tests' tools as well (deploy/apt-deps.sh:
#  a line per step, apt's output in build/deps.log).
deps-run:
	@deploy/apt-deps.sh build/deps.log $(RUN_APT)

deps:
	@deploy/apt-deps.sh build/deps.log $(RUN_APT) $(TEST_APT)

#  What deps says to a user who may not install (tests/deps-check.sh).
.PHONY: deps-check
deps-check:
	@tests/deps-check.sh

clean:
	rm -rf build build-asan build-fuzz

#  make install: the program, herd(1), the systemd units (herd@.service,
#  one node per instance, and herd-places-stub.service, with BINDIR and
#  DATADIR written into them here) and the five CS 131 topologies.  PREFIX,
#  the directories and DESTDIR as usual; make uninstall removes exactly
#  those files, and DATADIR once it is empty.  make install-check installs
#  into a scratch DESTDIR, checks the tree, the man page and the units,
#  and uninstalls (tests/install-check.sh).
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share/herd
MANDIR  ?= $(PREFIX)/share/man
UNITDIR ?= $(PREFIX)/lib/systemd/system
DESTDIR ?=
INSTALL_UNITS := herd@.service herd-places-stub.service
INSTALL_TOPOLOGIES := $(foreach year,2018 2020 2021 2022 2023,cs131-$(year).zpl)

.PHONY: install uninstall install-check
install: $(BUILD)/herd
	$(SAY) INSTALL "$(DESTDIR)$(PREFIX): bin/herd, herd.1, $(INSTALL_UNITS), topologies"
	$(Q)install -d -m 755 '$(DESTDIR)$(BINDIR)' '$(DESTDIR)$(MANDIR)/man1' \
	    '$(DESTDIR)$(UNITDIR)' '$(DESTDIR)$(DATADIR)/topologies'
	$(Q)install -m 755 $(BUILD)/herd '$(DESTDIR)$(BINDIR)/herd'
	$(Q)install -m 644 doc/herd.1 '$(DESTDIR)$(MANDIR)/man1/herd.1'
	$(Q)for unit in $(INSTALL_UNITS); do \
	    sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@DATADIR@|$(DATADIR)|g' \
	        deploy/systemd/$$unit.in >'$(DESTDIR)$(UNITDIR)/'$$unit && \
	    chmod 644 '$(DESTDIR)$(UNITDIR)/'$$unit || exit 1; \
	done
	$(Q)install -m 644 $(INSTALL_TOPOLOGIES:%=deploy/topologies/%) '$(DESTDIR)$(DATADIR)/topologies'

uninstall:
	$(SAY) UNINSTALL "$(DESTDIR)$(PREFIX)"
	$(Q)rm -f '$(DESTDIR)$(BINDIR)/herd' '$(DESTDIR)$(MANDIR)/man1/herd.1' \
	    $(INSTALL_UNITS:%='$(DESTDIR)$(UNITDIR)/%') \
	    $(INSTALL_TOPOLOGIES:%='$(DESTDIR)$(DATADIR)/topologies/%')
	$(Q)rmdir '$(DESTDIR)$(DATADIR)/topologies' '$(DESTDIR)$(DATADIR)' 2>/dev/null || true

install-check: $(BUILD)/herd
	@HERD_MAKE='$(MAKE_COMMAND)' BUILD='$(abspath $(BUILD))' tests/install-check.sh

-include $(wildcard $(BUILD)/src/*.d $(BUILD)/tests/*.d)
