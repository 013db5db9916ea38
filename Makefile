# The two commands a new user runs: `make demo` and `make test`.
SHELL := /bin/bash
PY := .venv/bin/python
DEMO_SIZE ?= demo

.PHONY: install demo test test-studies lint clean

install:
	@bash tools/install.sh

demo: install
	cd egs/synth/s5 && ./run.sh --size $(DEMO_SIZE)   # ends by printing RESULTS.md

test: install
	@set +e; $(PY) -m pytest -q -n 2 --dist worksteal --durations=20 tests; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "ERROR: pytest collected no tests" >&2; exit 1; fi; exit $$rc

test-studies: install  # the study scripts on a tiny synth run (~11 min), not in `make test`
	$(PY) -m pytest -q --studies -m studies tests

lint: install
	$(PY) -m ruff check pykaldi_distill tests bench
	shellcheck -x local/*.sh egs/*/s5/*.sh egs/*/s5/local/*.sh egs/*/s5/studies/*.sh tools/*.sh bench/*.sh local/sph2pipe

clean:
	rm -rf .venv
