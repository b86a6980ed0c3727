# hark — rules: deps build test test-unit lint format bench order run man install uninstall clean proto
#   make deps       install every Debian package the build, tests and benchmarks need (as root; idempotent)
#   make build      release build of hark, hark-grpc (its gRPC bridge, started only for Google) and
#                   hark-serve (the web server of `hark serve`)
#   make test       all test targets (unit, integration, end-to-end); the README's test command
#   make test-unit  the unit tests only (HarkTests: pure values and codecs, seconds to run)
#   make lint       swift format --strict, and the fence that keeps each C module in its wrapper file
#   make format     swift format in place
#   make bench      benchmarks that print figures
#   make order      profile everyday runs (valgrind) into Sources/hark/hark.order, hark's code layout
#   make run        build hark (and hark-grpc only if the run uses Google) and transcribe the bundled sample
#   make man        generate the man pages (from the same source as --help) into .build/man
#   make install    install hark, hark-grpc and hark-serve beside it, the serve page, its man pages and
#                   bash/zsh/fish completions under PREFIX (default /usr/local)
#   make uninstall  remove what make install put under PREFIX
#   make clean      remove .build
#   make proto      regenerate the Google Speech v2 messages for the tests and the fake (not part of the build)

PREFIX ?= /usr/local
SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
RELEASE_BIN := .build/release/hark
RELEASE_BRIDGE := .build/release/hark-grpc
RELEASE_SERVE := .build/release/hark-serve
SERVE_PAGE := Sources/hark-serve/Page

# Debian 12 / Ubuntu package names. Build: the C libraries. Tests: the WebSocket fakes (Python
# websockets), openssl for test CAs, espeak-ng and sox to make speech, opus-tools to decode what
# the fakes receive, alsa-utils for the ALSA file-plugin device, tmux for the terminal test,
# ffmpeg for its streamed WAV, zsh and fish to check their completion scripts, chromium for the
# `hark serve` browser tests (headless, a speech file as its microphone); python3-venv for the
# bench's Deepgram Python SDK venv; GNU time for the bench's `hark --help` peak; valgrind for
# `make order`. Every program a test runs must come from this list: TestToolsFromMakeDepsTests
# checks it.
APT_PACKAGES := \
	build-essential pkg-config \
	libcurl4-openssl-dev libwebrtc-audio-processing-dev libopus-dev libopusenc-dev \
	libasound2-dev libsoxr-dev libpocketsphinx-dev pocketsphinx-en-us \
	python3 python3-websockets openssl espeak-ng sox opus-tools alsa-utils tmux ffmpeg zsh fish chromium \
	pocketsphinx-testdata python3-venv libssl-dev python3-grpcio python3-protobuf python3-grpc-tools time valgrind

.PHONY: deps build test test-unit lint format bench order run man install uninstall clean proto

deps:
	@if dpkg -s $(APT_PACKAGES) >/dev/null 2>&1; then \
		echo "deps: all Debian packages present"; \
	else \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $(APT_PACKAGES); \
	fi
	@command -v $(SWIFT) >/dev/null || { echo "deps: Swift 6.1 or newer is needed (https://swift.org/install)"; exit 1; }

# Separate builds: hark alone must never link the gRPC stack (Foundation and ICU) or swift-nio.
build:
	$(SWIFT) build -c release --product hark
	$(SWIFT) build -c release --product hark-grpc
	$(SWIFT) build -c release --product hark-serve

test:
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

test-unit:
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --filter '^HarkTests\.'

# Generated protobuf code is left as protoc writes it.
SWIFT_SOURCES = $$(find Sources Tests Benchmarks -name '*.swift' -not -path '*/Generated/*') Package.swift

lint:
	$(SWIFT) format lint --strict $(SWIFT_SOURCES)
	@bash .ci/check-imports

format:
	$(SWIFT) format --in-place $(SWIFT_SOURCES)

bench:
	$(SWIFT) build -c release --product hark
	$(SWIFT) build -c release --product hark-grpc
	$(SWIFT) build -c release --product HarkBenchmarks
	.build/release/HarkBenchmarks

# The function order lld lays hark out in (see Benchmarks/hark_order_file.py); the binary is
# relinked afterwards because SwiftPM does not track the file.
order: build
	/usr/bin/python3 Benchmarks/hark_order_file.py
	rm -f $(RELEASE_BIN)
	$(MAKE) build

# hark alone: its gRPC bridge (10 minutes of a first build) is built only when the provider this
# run would use is Google.
run:
	$(SWIFT) build -c release --product hark
	@if $(RELEASE_BIN) config 2>/dev/null | grep -q '^  "provider": "google"'; then \
		$(SWIFT) build -c release --product hark-grpc; fi
	$(RELEASE_BIN) samples/sample.wav

MAN_OUT := .build/plugins/GenerateManual/outputs/hark

man:
	$(SWIFT) package --allow-writing-to-package-directory generate-manual --multi-page
	rm -rf .build/man && mkdir -p .build/man && cp $(MAN_OUT)/*.1 .build/man/

install: build man
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions \
		$(DESTDIR)$(PREFIX)/share/zsh/site-functions \
		$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	install -m 0755 $(RELEASE_BIN) $(DESTDIR)$(PREFIX)/bin/hark
	install -m 0755 $(RELEASE_BRIDGE) $(DESTDIR)$(PREFIX)/bin/hark-grpc
	install -m 0755 $(RELEASE_SERVE) $(DESTDIR)$(PREFIX)/bin/hark-serve
	install -d $(DESTDIR)$(PREFIX)/share/hark/page
	install -m 0644 $(SERVE_PAGE)/index.html $(SERVE_PAGE)/capture-worklet.js $(DESTDIR)$(PREFIX)/share/hark/page/
	install -m 0644 .build/man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	$(RELEASE_BIN) --generate-completion-script bash > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/hark
	$(RELEASE_BIN) --generate-completion-script zsh > $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_hark
	$(RELEASE_BIN) --generate-completion-script fish > $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/hark.fish

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/hark $(DESTDIR)$(PREFIX)/bin/hark-grpc $(DESTDIR)$(PREFIX)/bin/hark-serve \
		$(DESTDIR)$(PREFIX)/share/man/man1/hark*.1 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/hark \
		$(DESTDIR)$(PREFIX)/share/zsh/site-functions/_hark \
		$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/hark.fish
	rm -rf $(DESTDIR)$(PREFIX)/share/hark/page
	-rmdir $(DESTDIR)$(PREFIX)/share/hark 2>/dev/null

clean:
	rm -rf .build

# Regenerates the Google Speech v2 messages (Swift for the tests' reference, Python for the fake)
# from the committed proto. Not part of the build: the generated files are committed, so CI needs
# no protoc. protoc and the well-known types come from python3-grpc-tools; the Swift plugin is
# built from the swift-protobuf package the tests already depend on.
GOOGLE_PROTO := Protos/google/cloud/speech/v2/cloud_speech.proto
proto:
	$(SWIFT) build --product protoc-gen-swift
	/usr/bin/python3 -m grpc_tools.protoc -I Protos \
		--plugin=protoc-gen-swift=$$($(SWIFT) build --show-bin-path)/protoc-gen-swift \
		--swift_opt=Visibility=Package --swift_opt=UseAccessLevelOnImports=true --swift_opt=FileNaming=DropPath \
		--swift_out=Tests/GoogleSpeechProto/Generated $(GOOGLE_PROTO)
	tmp=$$(mktemp -d) && cp $(GOOGLE_PROTO) $$tmp/google_speech_v2.proto && \
		/usr/bin/python3 -m grpc_tools.protoc -I $$tmp --python_out=Tests/Fakes $$tmp/google_speech_v2.proto && \
		rm -r $$tmp
