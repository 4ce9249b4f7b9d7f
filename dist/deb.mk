# SPDX-License-Identifier: GPL-2.0-only
# dist/deb.mk — `make deb`: a Debian package of tsnd, built with debhelper.
#
# The top level of the tree is fixed, so the debian/ directory lives in
# dist/debian/: the source tree (without build/, tests/out/, .git) is copied to
# $(DEB_DIR)/tsnd-$(VERSION)/ with dist/debian/ as its debian/, and
# dpkg-buildpackage builds the binary package there; the .deb lands in $(DEB_DIR).
# DEB_BUILD_OPTIONS=nocheck skips the unit tests of the package build.

DEB_DIR      ?= build/deb
DEB_SRC      := $(DEB_DIR)/tsnd-$(VERSION)
DEB_ARCH      = $(shell dpkg-architecture -qDEB_HOST_ARCH 2>/dev/null)
DEB_FILE      = $(DEB_DIR)/tsnd_$(VERSION)_$(DEB_ARCH).deb

.PHONY: deb
deb:
	@v=$$(dpkg-parsechangelog -l dist/debian/changelog -S Version) && [ "$$v" = "$(VERSION)" ] || \
		{ echo "make deb: dist/debian/changelog is at $$v, the Makefile at $(VERSION): add a changelog entry" >&2; exit 1; }
	rm -rf $(DEB_DIR)
	mkdir -p $(DEB_SRC)
	tar -c --exclude=./build --exclude=./tests/out --exclude=./.git --exclude=./debian . | tar -x -C $(DEB_SRC)
	cp -R dist/debian $(DEB_SRC)/debian
	cd $(DEB_SRC) && dpkg-buildpackage -b -us -uc
	@echo "make deb: $(DEB_FILE)"
