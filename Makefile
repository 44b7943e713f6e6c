# recad - plain Makefile.
#   make            build/recad (the CLI) and build/librecad.a (the library the tests link)
#   make test       build and run the unit tests (tests/*.c) -> "N passed, N failed, N skipped"
#   make asan       the same tests under AddressSanitizer + UBSan, in build-asan/
#   make check      the layers of src/ depend one way (scripts/check_layers.sh)
#   make bench      build the benchmark programs in bench/
#   make web        bundle the page (web/src -> web/dist) when node is present
#   make fuzz N=5000   N random programs and N JSON mutants through every check (bench/fuzz.c)
#   make clean
# Dependencies: scripts/setup.sh installs them (Debian packages).

BUILD   ?= build
CC      ?= cc
ARCH    ?= -march=native
OPT     ?= -O2
SAN     ?=
WARN     = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith -Wvla -Wformat=2
CPPFLAGS = -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Isrc -I/usr/include/lua5.4 -I/usr/include/stb
CFLAGS  ?= -std=c11 $(OPT) -g $(ARCH) -fopenmp $(WARN) $(SAN)
LDFLAGS += -fopenmp $(SAN)
LDLIBS   = -llua5.4 -lcjson -lopenblas -lstb -lmicrohttpd -lpthread -lm

SRC   := $(sort $(filter-out src/cli/%,$(wildcard src/*/*.c)))
CLI   := $(sort $(wildcard src/cli/*.c))
TESTS := $(sort $(wildcard tests/*.c))
BENCH := $(sort $(wildcard bench/*.c))

LIB_OBJ   := $(SRC:%.c=$(BUILD)/%.o)
CLI_OBJ   := $(CLI:%.c=$(BUILD)/%.o)
TEST_OBJ  := $(TESTS:%.c=$(BUILD)/%.o)
BENCH_BIN := $(BENCH:bench/%.c=$(BUILD)/bench/%)

# the web page: web/src bundled by esbuild into web/dist (committed), embedded into the library
WEB_SRC   := $(wildcard web/src/*.js web/src/*.css web/index.html web/build.mjs web/package-lock.json)
WEB_DIST  := web/dist/index.html web/dist/app.js web/dist/app.css
ASSET_OBJ := $(BUILD)/gen/assets.o
LIB_OBJ   += $(ASSET_OBJ)

.PHONY: all test asan check bench fuzz clean web
all: $(BUILD)/recad $(BUILD)/librecad.a

$(BUILD)/librecad.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/recad: $(CLI_OBJ) $(BUILD)/librecad.a
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/librecad.a $(LDLIBS)

$(BUILD)/test_recad: $(TEST_OBJ) $(BUILD)/librecad.a
	$(CC) $(LDFLAGS) -o $@ $(TEST_OBJ) $(BUILD)/librecad.a $(LDLIBS)

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(BUILD)/librecad.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(BUILD)/librecad.a $(LDLIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

# the bundle is rebuilt when node and web/node_modules (npm ci in web/) are present; without them
# the committed web/dist is used as it is
$(WEB_DIST) &: $(WEB_SRC)
	@if command -v node >/dev/null && [ -d web/node_modules ]; then echo "node web/build.mjs"; node web/build.mjs; \
	else echo "web: node or web/node_modules missing: using the committed web/dist"; fi

web: $(WEB_DIST)

$(BUILD)/gen/assets.c: $(WEB_DIST) scripts/embed_web.sh
	@mkdir -p $(dir $@)
	scripts/embed_web.sh web/dist $@

$(ASSET_OBJ): $(BUILD)/gen/assets.c
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# T selects tests by substring: make test T=solid
test: $(BUILD)/test_recad $(BUILD)/recad
	$(BUILD)/test_recad $(T)

asan:
	$(MAKE) BUILD=build-asan OPT=-O1 SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" test

check:
	scripts/check_layers.sh

N ?= 5000
fuzz: $(BUILD)/bench/fuzz
	$(BUILD)/bench/fuzz $(N)

bench: $(BENCH_BIN) $(BUILD)/recad

clean:
	rm -rf build build-asan

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_OBJ:.o=.d) $(BENCH_BIN:=.d)
