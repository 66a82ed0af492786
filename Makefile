#  herd - one non-recursive Makefile.  `make run` and `make test` are the
#  two commands a new machine needs; both install missing Debian packages.

CC      ?= cc
CFLAGS  ?= -O2 -g
BUILD   ?= build
TOPOLOGY ?= deploy/topologies/cs131-2022.zpl

PKGS     := libczmq libzmq libcurl libcjson
APT_PKGS := libczmq-dev libzmq3-dev libcurl4-openssl-dev libcjson-dev \
            libcmocka-dev pkg-config clang-format netcat-openbsd gcc libc6-dev
TOOLS    := cc pkg-config clang-format nc

#  Project flags live apart from CFLAGS so `make CFLAGS=...` keeps them.
#  pkg-config is expanded lazily: `deps` may have just installed it.
HERD_CFLAGS = -std=c11 -D_GNU_SOURCE -Iinclude -MMD -MP \
    -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
    -Wmissing-prototypes -Wformat=2 -Wvla -Wcast-qual -Wnull-dereference \
    -Wundef -Werror $(shell pkg-config --cflags $(PKGS))
LIBS      = $(shell pkg-config --libs $(PKGS)) -lm
TEST_LIBS = $(shell pkg-config --libs cmocka)

LIB_SRC   := $(filter-out src/herd.c,$(wildcard src/*.c))
LIB_OBJ   := $(LIB_SRC:src/%.c=$(BUILD)/src/%.o)
TEST_SRC  := $(wildcard tests/test_*.c)
TEST_BIN  := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
HARNESS   := $(BUILD)/tests/herd_test.o

.SECONDARY:
.PHONY: all run test check asan valgrind bench format format-check lint deps clean

all: $(BUILD)/herd $(TEST_BIN)

$(BUILD)/src/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(HERD_CFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/libherd.a: $(LIB_OBJ)
	$(AR) rcs $@ $^

$(BUILD)/herd: $(BUILD)/src/herd.o $(BUILD)/libherd.a
	$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LIBS) -o $@

$(BUILD)/tests/%.o: tests/%.c
	@mkdir -p $(@D)
	$(CC) $(HERD_CFLAGS) $(CFLAGS) -Itests -c $< -o $@

$(BUILD)/tests/test_%: $(BUILD)/tests/test_%.o $(HARNESS) $(BUILD)/libherd.a
	$(CC) $(CFLAGS) $(LDFLAGS) $^ $(TEST_LIBS) $(LIBS) -o $@

#  The two commands of README.md.
run: deps
	@$(MAKE) --no-print-directory $(BUILD)/herd
	$(BUILD)/herd up -t $(TOPOLOGY)

test: deps
	@$(MAKE) --no-print-directory check

check: all format-check
	@HERD_BIN=$(abspath $(BUILD)/herd) tests/run.sh $(TEST_BIN)

#  Sanitizers: the whole suite again in its own build tree.
asan: deps
	@$(MAKE) --no-print-directory check BUILD=build-asan CC=clang \
	    CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all"

#  Every test program, and every node they start, under valgrind.
valgrind: deps
	@$(MAKE) --no-print-directory all
	@command -v valgrind >/dev/null || $(MAKE) --no-print-directory deps APT_PKGS=valgrind TOOLS=valgrind
	@HERD_BIN=$(abspath $(BUILD)/herd) HERD_VALGRIND=1 \
	    HERD_WRAP="valgrind -q --leak-check=full --error-exitcode=99" \
	    tests/run.sh $(TEST_BIN)

format:
	clang-format -i src/*.c src/*.h include/*.h tests/*.c tests/*.h

format-check:
	@clang-format --dry-run --Werror src/*.c src/*.h include/*.h tests/*.c tests/*.h

lint:
	cppcheck --quiet --enable=warning,style,performance --error-exitcode=1 \
	    --suppress=missingIncludeSystem -Iinclude -I/usr/include/cjson src tests

#  Installs whatever the build and the tests use, only when missing.
deps:
	@missing=; \
	for p in $(PKGS) cmocka; do pkg-config --exists $$p 2>/dev/null || missing="$$missing $$p"; done; \
	for t in $(TOOLS); do command -v $$t >/dev/null 2>&1 || missing="$$missing $$t"; done; \
	if [ -n "$$missing" ]; then \
	    echo "deps: missing:$$missing; installing Debian packages"; \
	    sudo=; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	    $$sudo apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $(APT_PKGS); \
	fi

clean:
	rm -rf build build-asan

-include $(wildcard $(BUILD)/src/*.d $(BUILD)/tests/*.d)
