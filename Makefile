# Two commands: `make run` and `make test`. Everything else is a step of those.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint lint-js format migrate chromium coturn vendor vendor-tests clean

# --demo: the first run also makes a demo site, and a demo shop is served
# beside the console; a production `tsunagu run` gets neither.
run: $(VENV)/.installed
	$(BIN)/tsunagu run --demo --host $(HOST) --port $(PORT)

# The suite also runs against the machine's PostgreSQL and Redis (each
# database test once per backend; the tests of several instances need both).
test: export TSUNAGU_TEST_POSTGRES_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/test
test: export TSUNAGU_TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
test: $(VENV)/.installed-dev chromium coturn lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev lint-js
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The JavaScript linter (rules in biome.jsonc): Biome's native binary, taken
# from its npm registry tarball with curl and checked against the sha256
# recorded here, so neither the server nor the tests need Node.
BIOME_VERSION := 2.6.8
BIOME_SHA256 := e9fc491ffec6ba4024549b7c797937cd4f01855b4fe66a78220efe83b95be7f1
BIOME := .tools/biome-$(BIOME_VERSION)
lint-js: $(BIOME)
	$(BIOME) lint --error-on-warnings .

$(BIOME):
	@test "$$(uname -sm)" = "Linux x86_64" || { echo "lint-js: Biome is pinned for Linux x86_64 only"; exit 1; }
	rm -rf .tools/tmp && mkdir -p .tools/tmp
	curl -fsSL -o .tools/tmp/biome.tgz \
		https://registry.npmjs.org/@biomejs/cli-linux-x64/-/cli-linux-x64-$(BIOME_VERSION).tgz
	echo "$(BIOME_SHA256)  .tools/tmp/biome.tgz" | sha256sum -c --quiet
	tar xzf .tools/tmp/biome.tgz -C .tools/tmp package/biome
	mv .tools/tmp/package/biome $@
	rm -rf .tools/tmp

format: $(VENV)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrate: $(VENV)/.installed
	$(BIN)/tsunagu migrate

# Debian's Chromium drives the browser tests; Playwright's own browser
# download cannot work offline, so it is never used.
chromium:
	@test -x /usr/bin/chromium || { \
		echo "Installing Debian's chromium for the browser tests"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; }

# Debian's coturn: the relay-only video tests (tests/test_turn_browser.py)
# start their own turnserver on loopback; the package's service is not used.
coturn:
	@test -x /usr/bin/turnserver || { \
		echo "Installing Debian's coturn for the TURN tests"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq coturn; }

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml $(VENV)/bin/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/bin/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $@ $(VENV)/.installed

# The page rasteriser the capture module imports on the first capture,
# vendored so the server never needs Node. `make vendor` refreshes it from the
# npm registry and records its sha256 (tests/test_vendor.py checks the record).
# The ES module build: imported with import(), it never sees a page's AMD
# loader and adds no global (the UMD build registers with RequireJS).
MODERN_SCREENSHOT := 4.7.0
# Pinch, drag and wheel zoom on a shared screen (server/static/screen_share.js):
# the package's ES module build, unminified, imported when a screen is shown.
PANZOOM := 4.6.2
# The shared memo's CRDT (embed/memo.js imports it when a memo is opened).
# Yjs imports lib0 by bare names, which a browser cannot resolve: the two are
# bundled into one ES module here, by esbuild's native binary taken from its
# npm tarball and checked like Biome's, so nothing at run time needs Node.
YJS := 13.6.33
LIB0 := 0.2.120
ESBUILD_VERSION := 0.28.2
ESBUILD_SHA256 := 9573bb2233aab0f9ea7647d5cca9726113cc1768de61d66b17267f4db84488f6
ESBUILD := .tools/esbuild-$(ESBUILD_VERSION)
# The live view (issue #16): rrweb's recorder, imported by embed/live_view.js
# only when a guest agrees to share live, and its replayer, imported by the
# host's room when a live view is shown. Each is bundled with what it
# imports (rrweb-snapshot, rrdom, postcss...) into one ES module; npm resolves
# the tree once, with rrweb itself pinned so both modules carry the same one.
RRWEB_RECORD := 2.1.6
RRWEB_REPLAY := 2.1.6
RRWEB := 2.2.2
vendor: vendor-tests $(ESBUILD)
	rm -rf .vendor-tmp && mkdir .vendor-tmp
	cd .vendor-tmp && npm pack --silent modern-screenshot@$(MODERN_SCREENSHOT) >/dev/null && \
		tar xzf modern-screenshot-$(MODERN_SCREENSHOT).tgz
	mkdir -p embed/vendor
	cp .vendor-tmp/package/dist/index.mjs embed/vendor/modern-screenshot.mjs
	cp .vendor-tmp/package/LICENSE embed/vendor/modern-screenshot.LICENSE
	mkdir -p .vendor-tmp/memo/node_modules/yjs .vendor-tmp/memo/node_modules/lib0
	cd .vendor-tmp && npm pack --silent yjs@$(YJS) lib0@$(LIB0) >/dev/null && \
		tar xzf yjs-$(YJS).tgz -C memo/node_modules/yjs --strip-components=1 && \
		tar xzf lib0-$(LIB0).tgz -C memo/node_modules/lib0 --strip-components=1
	echo 'export * from "yjs";' > .vendor-tmp/memo/entry.js
	$(ESBUILD) .vendor-tmp/memo/entry.js --bundle --format=esm --platform=browser \
		--target=es2020 --minify --legal-comments=none --log-level=warning --outfile=embed/vendor/yjs.mjs
	{ echo "yjs $(YJS):"; cat .vendor-tmp/memo/node_modules/yjs/LICENSE; echo; \
		echo "lib0 $(LIB0):"; cat .vendor-tmp/memo/node_modules/lib0/LICENSE; } > embed/vendor/yjs.LICENSE
	cd .vendor-tmp && npm pack --silent @panzoom/panzoom@$(PANZOOM) >/dev/null && \
		mkdir panzoom && tar xzf panzoom-panzoom-$(PANZOOM).tgz -C panzoom --strip-components=1
	cp .vendor-tmp/panzoom/dist/panzoom.es.js embed/vendor/panzoom.mjs
	cp .vendor-tmp/panzoom/MIT-License.txt embed/vendor/panzoom.LICENSE
	mkdir -p .vendor-tmp/rrweb && cd .vendor-tmp/rrweb && echo '{"private":true}' > package.json && \
		npm install --silent --no-audit --no-fund --ignore-scripts --save-exact \
			@rrweb/record@$(RRWEB_RECORD) @rrweb/replay@$(RRWEB_REPLAY) rrweb@$(RRWEB) >/dev/null
	echo 'export { record } from "@rrweb/record";' > .vendor-tmp/rrweb/record.js
	echo 'export { Replayer } from "@rrweb/replay";' > .vendor-tmp/rrweb/replay.js
	$(ESBUILD) .vendor-tmp/rrweb/record.js --bundle --format=esm --platform=browser \
		--target=es2020 --minify --legal-comments=none --log-level=warning --outfile=embed/vendor/rrweb-record.mjs
	$(ESBUILD) .vendor-tmp/rrweb/replay.js --bundle --format=esm --platform=browser \
		--target=es2020 --minify --legal-comments=none --log-level=warning --outfile=embed/vendor/rrweb-replay.mjs
	cp .vendor-tmp/rrweb/node_modules/@rrweb/replay/dist/style.min.css embed/vendor/rrweb-replay.css
	{ for package in rrweb rrweb-snapshot rrdom @rrweb/record @rrweb/replay @rrweb/types @rrweb/utils \
			@xstate/fsm mitt base64-arraybuffer postcss nanoid picocolors source-map-js; do \
		echo "$$package $$(node -p "require('./.vendor-tmp/rrweb/node_modules/$$package/package.json').version" 2>/dev/null):"; \
		cat .vendor-tmp/rrweb/node_modules/$$package/LICENSE* 2>/dev/null || echo "(MIT, no licence file in the package)"; echo; \
	  done; } > embed/vendor/rrweb.LICENSE
	{ printf 'modern-screenshot %s modern-screenshot.mjs %s\n' "$(MODERN_SCREENSHOT)" \
		"$$(sha256sum embed/vendor/modern-screenshot.mjs | cut -d' ' -f1)"; \
	  printf 'yjs %s+lib0.%s yjs.mjs %s\n' "$(YJS)" "$(LIB0)" \
		"$$(sha256sum embed/vendor/yjs.mjs | cut -d' ' -f1)"; \
	  printf 'panzoom %s panzoom.mjs %s\n' "$(PANZOOM)" \
		"$$(sha256sum embed/vendor/panzoom.mjs | cut -d' ' -f1)"; \
	  printf 'rrweb %s+record.%s rrweb-record.mjs %s\n' "$(RRWEB)" "$(RRWEB_RECORD)" \
		"$$(sha256sum embed/vendor/rrweb-record.mjs | cut -d' ' -f1)"; \
	  printf 'rrweb %s+replay.%s rrweb-replay.mjs %s\n' "$(RRWEB)" "$(RRWEB_REPLAY)" \
		"$$(sha256sum embed/vendor/rrweb-replay.mjs | cut -d' ' -f1)"; \
	  printf 'rrweb %s+replay.%s rrweb-replay.css %s\n' "$(RRWEB)" "$(RRWEB_REPLAY)" \
		"$$(sha256sum embed/vendor/rrweb-replay.css | cut -d' ' -f1)"; } > embed/vendor/VERSIONS
	rm -rf .vendor-tmp
	cat embed/vendor/VERSIONS

# The accessibility checker the browser tests inject into every page
# (tests/test_accessibility_browser.py): for the tests only, never served.
AXE_CORE := 4.14.1
vendor-tests:
	rm -rf .vendor-tmp-tests && mkdir .vendor-tmp-tests
	cd .vendor-tmp-tests && npm pack --silent axe-core@$(AXE_CORE) >/dev/null && \
		tar xzf axe-core-$(AXE_CORE).tgz
	mkdir -p tests/vendor
	cp .vendor-tmp-tests/package/axe.min.js tests/vendor/axe.min.js
	cp .vendor-tmp-tests/package/LICENSE tests/vendor/axe-core.LICENSE
	printf 'axe-core %s axe.min.js %s\n' "$(AXE_CORE)" \
		"$$(sha256sum tests/vendor/axe.min.js | cut -d' ' -f1)" > tests/vendor/VERSIONS
	rm -rf .vendor-tmp-tests
	cat tests/vendor/VERSIONS
$(ESBUILD):
	@test "$$(uname -sm)" = "Linux x86_64" || { echo "vendor: esbuild is pinned for Linux x86_64 only"; exit 1; }
	rm -rf .tools/tmp-esbuild && mkdir -p .tools/tmp-esbuild
	curl -fsSL -o .tools/tmp-esbuild/esbuild.tgz \
		https://registry.npmjs.org/@esbuild/linux-x64/-/linux-x64-$(ESBUILD_VERSION).tgz
	echo "$(ESBUILD_SHA256)  .tools/tmp-esbuild/esbuild.tgz" | sha256sum -c --quiet
	tar xzf .tools/tmp-esbuild/esbuild.tgz -C .tools/tmp-esbuild package/bin/esbuild
	mv .tools/tmp-esbuild/package/bin/esbuild $@
	rm -rf .tools/tmp-esbuild

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info .tools
