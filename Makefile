# Opine: `make demo` runs the daemon on a development spool with sample bundles; `make test` runs every test and
# checks the systemd unit and the install tree; `make install` puts a release build in place on a server.
SWIFT ?= swift
PREFIX ?= /usr/local
DESTDIR ?=
SYSCONFDIR ?= /etc
BINDIR = $(PREFIX)/bin
# systemd reads units, sysusers.d and tmpfiles.d from $(PREFIX)/lib as well as /usr/lib for both usual prefixes.
LIBDIR = $(PREFIX)/lib
DOCDIR = $(PREFIX)/share/doc/opine
RELEASE_BIN = $(shell $(SWIFT) build -c release --show-bin-path 2>/dev/null)
# What is shipped: the release binaries stripped, each with its debug information beside it as NAME.debug.
DIST = .build/dist
# Debug files go under $(DEBUGDIR) at the binaries' own path, where gdb looks once told the directory.
DEBUGDIR = $(PREFIX)/lib/debug

.PHONY: deps build test samples demo release install uninstall check-deploy clean crash-test fuzz flood tsan bench bench-smoke bench-profile systemd-check

# Installs the build and test packages (as root; otherwise prints the command). Nothing else installs them.
deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build

# Builds the daemon and CLI first: the end-to-end tests run the real binaries.
test: deps
	scripts/check-source.sh
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	scripts/check-deploy.sh
	scripts/check-alerts.sh
	scripts/check-docs.sh && scripts/check-demo.sh

# The crash-consistency harness at full length (the normal test run does 20 kills). OPINE_CRASH_SEED replays a run.
CRASH_KILLS ?= 200
crash-test: deps
	$(SWIFT) build --build-tests
	OPINE_CRASH_KILLS=$(CRASH_KILLS) $(SWIFT) test --skip-build --filter CrashLoopTests

# Ten thousand uploads renamed in at once (the normal test run does a thousand).
FLOOD_BUNDLES ?= 10000
flood: deps
	$(SWIFT) build --build-tests
	OPINE_FLOOD_BUNDLES=$(FLOOD_BUNDLES) $(SWIFT) test --skip-build --filter FloodTests

# Every test under Thread Sanitizer, in a build folder of its own; the crash loop and the flood are shortened because
# everything runs several times slower. Reports from the tests and from every opined and opine they start are
# collected in .build-tsan/reports; any report fails the run.
TSAN_REPORTS = $(CURDIR)/.build-tsan/reports
tsan: deps
	$(SWIFT) build --build-tests --sanitize=thread --scratch-path .build-tsan
	rm -rf $(TSAN_REPORTS) && mkdir -p $(TSAN_REPORTS)
	OPINE_SANITIZER=thread OPINE_CRASH_KILLS=5 OPINE_FLOOD_BUNDLES=200 TSAN_OPTIONS="halt_on_error=0 log_path=$(TSAN_REPORTS)/report" \
		$(SWIFT) test --skip-build --sanitize=thread --scratch-path .build-tsan; status=$$?; \
	if ls $(TSAN_REPORTS)/report* >/dev/null 2>&1; then cat $(TSAN_REPORTS)/report*; echo "Thread Sanitizer reported the above"; exit 1; fi; \
	echo "Thread Sanitizer: no reports"; exit $$status

# libFuzzer over the manifest parser, the path rules, the zip reader and the DICOM header reader, seeded with every
# upload the end-to-end tests make and the DICOM files the oracle test writes. FUZZ_RUNS executions per target
# (docs/reliability.md has the last result).
FUZZ_RUNS ?= 1000000
FUZZ = .build-fuzz
fuzz: deps
	$(SWIFT) build --build-tests
	rm -rf $(FUZZ)/export $(FUZZ)/seeds
	OPINE_EXPORT_CORPUS=$(CURDIR)/$(FUZZ)/export $(SWIFT) test --skip-build --filter 'HostileBundleTests|IntakeTests|CrashLoopTests|DicomOracleTests'
	$(SWIFT) build --product opine-fuzz --scratch-path $(FUZZ) -Xswiftc -sanitize=fuzzer -Xswiftc -DOPINE_FUZZ
	scripts/fuzz.py --bin $(FUZZ)/debug/opine-fuzz --export $(FUZZ)/export --out $(FUZZ) --runs $(FUZZ_RUNS)

# Every scenario of BENCHMARKS.md against the shipped release binaries, beside its physical floor measured in the
# same run; rewrites BENCHMARKS.md. BENCH_ONLY=upload (comma-separated scenarios) measures only those and replaces
# only their rows. bench-smoke runs the same harness at tiny sizes (in CI) and writes nothing.
bench: release
	python3 scripts/bench/bench.py --bin $(RELEASE_BIN) $(if $(BENCH_ONLY),--only $(BENCH_ONLY))

bench-smoke: release
	python3 scripts/bench/bench.py --bin $(RELEASE_BIN) --quick

# One repetition of chosen scenarios (BENCH=burst,study,latency,webhooks,cli) with every opined under `perf record -g`;
# profiles land in .build/profiles (read them with `perf report -i FILE`; the table's memory rows are then perf's own).
# Writes no BENCHMARKS.md.
BENCH ?= burst,study,webhooks
bench-profile: release
	OPINE_BENCH_PROFILE=$(CURDIR)/.build/profiles python3 scripts/bench/bench.py --bin $(RELEASE_BIN) --only $(BENCH) \
		--repetitions 1 --out /dev/null

# Real synthetic upload bundles (DICOM MR studies with a DICOMDIR, multi-page report PDFs; docs/operations.md,
# "Sample bundles") written by scripts/make-samples.py into .build/samples, then read back by dcmtk's dcmdump, which
# fails the target on any file it cannot parse. Generated at build or test time and never committed: the script is
# the source, its output is byte-for-byte reproducible, and a few MB of binaries rewritten on every change to it would
# only weigh down the history.
SAMPLES = .build/samples
samples: deps
	scripts/make-samples.py $(SAMPLES)
	find $(SAMPLES) -type f ! -name manifest.json ! -name '*.pdf' -exec dcmdump -q {} + >/dev/null

demo: build samples
	scripts/demo.sh

# The Swift runtime is linked in, so the server needs only libcurl, libsqlite3 and zlib. Checks that the release
# packages are there without installing them (`make deps` does; no test tool is needed). The binaries in $(DIST) are
# stripped (about 70 MB rather than 115, half of it the ICU data of the static Foundation); the debug information goes
# to NAME.debug, named in the binary by a GNU debuglink. The manual pages and completions are generated here, from
# the binaries, into $(DIST)/docs, so `make install` only copies.
release:
	@scripts/install-deps.sh --check --release
	$(SWIFT) build -c release --static-swift-stdlib --product opined
	$(SWIFT) build -c release --static-swift-stdlib --product opine
	$(SWIFT) build -c release --static-swift-stdlib --product opine-upload
	@mkdir -p $(DIST)
	@for program in opined opine opine-upload; do \
		if [ -e $(DIST)/$$program ] && [ ! $(RELEASE_BIN)/$$program -nt $(DIST)/$$program ]; then continue; fi; \
		objcopy --only-keep-debug --compress-debug-sections=zlib $(RELEASE_BIN)/$$program $(DIST)/$$program.debug && \
		objcopy --strip-all --add-gnu-debuglink=$(DIST)/$$program.debug $(RELEASE_BIN)/$$program $(DIST)/$$program.tmp && \
		mv $(DIST)/$$program.tmp $(DIST)/$$program && echo "Stripped $(DIST)/$$program (debug information in $$program.debug)" || exit 1; \
	done
	rm -rf $(DIST)/docs && scripts/install-docs.sh "$(DIST)/docs" "" "$(DIST)"

# Never overwrites an edited configuration: the new default goes beside it as opine.toml.new (upload.toml.new). Installs no package:
# it only says which run-time packages the machine (or the DESTDIR tree, if it is a Debian root) still lacks. The
# configuration goes to the opine group here when that group exists (in the DESTDIR tree's /etc/group with DESTDIR);
# otherwise systemd-tmpfiles --create gives it to the group later, so the documented steps work in any order.
install: release
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/systemd/system $(DESTDIR)$(LIBDIR)/sysusers.d \
		$(DESTDIR)$(LIBDIR)/tmpfiles.d $(DESTDIR)$(DOCDIR) $(DESTDIR)$(SYSCONFDIR)/opine $(DESTDIR)$(DEBUGDIR)$(BINDIR)
	install -m 0755 $(DIST)/opined $(DIST)/opine $(DIST)/opine-upload $(DESTDIR)$(BINDIR)/
	install -m 0644 $(DIST)/opined.debug $(DIST)/opine.debug $(DIST)/opine-upload.debug $(DESTDIR)$(DEBUGDIR)$(BINDIR)/
	for unit in opined opine-upload; do \
		sed 's#@BINDIR@#$(BINDIR)#g' deploy/$$unit.service > $(DESTDIR)$(LIBDIR)/systemd/system/$$unit.service && \
		chmod 0644 $(DESTDIR)$(LIBDIR)/systemd/system/$$unit.service || exit 1; done
	install -m 0644 deploy/sysusers.d/opine.conf $(DESTDIR)$(LIBDIR)/sysusers.d/opine.conf
	install -m 0644 deploy/tmpfiles.d/opine.conf $(DESTDIR)$(LIBDIR)/tmpfiles.d/opine.conf
	install -m 0644 README.md docs/*.md $(DESTDIR)$(DOCDIR)/
	install -D -m 0644 deploy/prometheus/opine-alerts.yml $(DESTDIR)$(PREFIX)/share/opine/prometheus/opine-alerts.yml
	install -D -m 0644 deploy/nginx/opine-upload.conf $(DESTDIR)$(PREFIX)/share/opine/nginx/opine-upload.conf
	@# The upload page's script, style and templates, where opine-upload looks beside its binary.
	rm -rf $(DESTDIR)$(PREFIX)/share/opine/upload && install -d $(DESTDIR)$(PREFIX)/share/opine/upload
	find Sources/OpineUpload/Assets -maxdepth 1 -type f ! -name '.*' -exec install -m 0644 {} $(DESTDIR)$(PREFIX)/share/opine/upload/ \;
	(cd $(DIST)/docs && find share -type f) | while read -r file; do \
		install -D -m 0644 $(DIST)/docs/$$file $(DESTDIR)$(PREFIX)/$$file || exit 1; done
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/opine/opine.toml ]; then \
		install -m 0640 Config/opine.toml $(DESTDIR)$(SYSCONFDIR)/opine/opine.toml.new; \
		echo "Kept $(DESTDIR)$(SYSCONFDIR)/opine/opine.toml; the new default is beside it as opine.toml.new"; \
	else \
		install -m 0640 Config/opine.toml $(DESTDIR)$(SYSCONFDIR)/opine/opine.toml; \
	fi
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/opine/upload.toml ]; then \
		install -m 0640 Config/upload.toml $(DESTDIR)$(SYSCONFDIR)/opine/upload.toml.new; \
		echo "Kept $(DESTDIR)$(SYSCONFDIR)/opine/upload.toml; the new default is beside it as upload.toml.new"; \
	else \
		install -m 0640 Config/upload.toml $(DESTDIR)$(SYSCONFDIR)/opine/upload.toml; \
	fi
	@for pair in opine:opine.toml opine-upload:upload.toml; do group=$${pair%%:*} file=$${pair#*:}; \
	if [ -z "$(DESTDIR)" ]; then gid=$$(getent group $$group | cut -d: -f3); \
	else gid=$$(awk -F: -v g=$$group '$$1 == g { print $$3 }' $(DESTDIR)/etc/group 2>/dev/null); fi; \
	if [ -z "$$gid" ]; then echo "No $$group group yet: systemd-tmpfiles --create gives it $$file"; \
	elif ! chgrp $$gid $(DESTDIR)$(SYSCONFDIR)/opine/$$file*; then \
		echo "Could not give $$file to the $$group group; systemd-tmpfiles --create will"; fi; done
	@if [ -z "$(DESTDIR)" ]; then scripts/install-deps.sh --runtime || true; \
	elif [ -d $(DESTDIR)/var/lib/dpkg ]; then scripts/install-deps.sh --runtime --root $(DESTDIR) || true; fi
	@echo "Installed. Next (as root): systemd-sysusers; systemd-tmpfiles --create; systemctl daemon-reload;"
	@echo "then edit $(SYSCONFDIR)/opine/opine.toml and: systemctl enable --now opined (docs/operations.md);"
	@echo "for the upload page, $(SYSCONFDIR)/opine/upload.toml and: systemctl enable --now opine-upload (docs/upload.md)."

# Leaves the configurations, the spool and the state (patient data, the upload service's included) in place.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/opined $(DESTDIR)$(BINDIR)/opine $(DESTDIR)$(BINDIR)/opine-upload \
		$(DESTDIR)$(LIBDIR)/systemd/system/opined.service $(DESTDIR)$(LIBDIR)/systemd/system/opine-upload.service \
		$(DESTDIR)$(LIBDIR)/sysusers.d/opine.conf $(DESTDIR)$(LIBDIR)/tmpfiles.d/opine.conf \
		$(DESTDIR)$(DEBUGDIR)$(BINDIR)/opined.debug $(DESTDIR)$(DEBUGDIR)$(BINDIR)/opine.debug \
		$(DESTDIR)$(DEBUGDIR)$(BINDIR)/opine-upload.debug
	rm -f $(DESTDIR)$(PREFIX)/share/man/man1/opine.1 $(DESTDIR)$(PREFIX)/share/man/man1/opine.*.1 \
		$(DESTDIR)$(PREFIX)/share/man/man5/opine.toml.5 $(DESTDIR)$(PREFIX)/share/man/man8/opined.8 \
		$(DESTDIR)$(PREFIX)/share/man/man8/opine-upload.8 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/opine $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_opine \
		$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/opine.fish \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/opine-upload \
		$(DESTDIR)$(PREFIX)/share/zsh/site-functions/_opine-upload \
		$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/opine-upload.fish
	rm -rf $(DESTDIR)$(DOCDIR) $(DESTDIR)$(PREFIX)/share/opine

check-deploy:
	scripts/check-deploy.sh

# Boots a real systemd in a Debian 12 container (its tree cached in .build/systemd-root), installs Opine into it as
# docs/operations.md says and checks the service end to end (docs/reliability.md). As root.
systemd-check:
	scripts/systemd-check.sh

clean:
	rm -rf .build .build-fuzz .build-tsan var
