# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the cacheproxy scripts; sourced, not run.

# CI may run without HOME; tools (checkpatch.pl, the cache path) need it.
if [ -z "${HOME:-}" ]; then
	HOME=$(getent passwd "$(id -u)" | cut -d: -f6)
	export HOME
fi

CP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CP_CACHE=${CACHEPROXY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cacheproxy}
CP_SRC_PKG=linux-source-6.12

cp_die()
{
	echo "${0##*/}: $*" >&2
	exit 1
}

cp_log()
{
	echo "${0##*/}: $*" >&2
}

# cp_need_packages PKG...: install the Debian packages that are missing.
# Idempotent: nothing is run when every package is already installed.
cp_need_packages()
{
	local missing=() p

	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" -eq 0 ] ||
		cp_die "missing packages (run as root to install): ${missing[*]}"
	cp_log "installing ${missing[*]}"
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends "${missing[@]}" >"$CP_CACHE/apt.log" 2>&1; then
		apt-get update -q >>"$CP_CACHE/apt.log" 2>&1
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends "${missing[@]}" \
			>>"$CP_CACHE/apt.log" 2>&1 ||
			cp_die "apt-get install ${missing[*]} failed; see $CP_CACHE/apt.log"
	fi
}

# Everything the guest bench needs on the host.
cp_need_bench_packages()
{
	mkdir -p "$CP_CACHE"
	cp_need_packages "$CP_SRC_PKG" qemu-system-x86 busybox-static \
		gcc make flex bison bc libelf-dev libssl-dev cpio kmod rsync \
		xz-utils python3 perl
}

# cp_kernel_field NAME COLUMN: one column of scripts/vm/kernels for NAME.
# Columns: 1 name, 2 source, 3 mem, 4 fragments, 5 cmdline.
cp_kernel_field()
{
	awk -v n="$1" -v c="$2" '!/^#/ && $1 == n { print $c; f = 1 }
		END { exit !f }' "$CP_ROOT/scripts/vm/kernels"
}

cp_kernel_names()
{
	awk '!/^#/ && NF { print $1 }' "$CP_ROOT/scripts/vm/kernels"
}

# The source package version, usable in a path ("~" becomes "_").
cp_src_version()
{
	dpkg-query -W -f='${Version}' "$CP_SRC_PKG" | tr '~:' '__'
}

# The unpacked kernel source tree (unpacked once into the cache).
cp_src_dir()
{
	echo "$CP_CACHE/src/$CP_SRC_PKG-$(cp_src_version)"
}

# Unpack the kernel source once into the cache; print its directory.
cp_unpack_src()
{
	local src

	src=$(cp_src_dir)
	if [ ! -f "$src/.cacheproxy-unpacked" ]; then
		cp_log "unpacking $CP_SRC_PKG $(cp_src_version) into $src"
		rm -rf "$src" "$src.tmp"
		mkdir -p "$src.tmp"
		tar -xJf "/usr/src/$CP_SRC_PKG.tar.xz" -C "$src.tmp" \
			--strip-components=1
		touch "$src.tmp/.cacheproxy-unpacked"
		mv "$src.tmp" "$src"
	fi
	echo "$src"
}

# Bump when scripts/build-kernel changes how a kernel is configured or built.
CP_KERNEL_RECIPE=1

# cp_kernel_dir NAME: the cached build tree of a "built" kernel, keyed by
# the source version and a hash of its fragments and of the recipe.
cp_kernel_dir()
{
	local frags hash f

	frags=$(cp_kernel_field "$1" 4) || cp_die "unknown kernel '$1'"
	hash=$({
		for f in ${frags//,/ }; do cat "$CP_ROOT/scripts/vm/$f"; done
		echo "recipe $CP_KERNEL_RECIPE"
	} | sha256sum | cut -c1-12)
	echo "$CP_CACHE/kernels/$1-$(cp_src_version)-$hash"
}

# cp_copy_sources DIR: copy what builds the modules (Kbuild, Makefile,
# dkms.conf and the sources of module/, kunit/, include/) into DIR, and
# nothing else. Content-checked and without the source times: a changed
# file is always newer than its object in DIR, even when its own time went
# backwards (git checkout); files gone from the tree go from DIR too.
cp_copy_sources()
{
	rsync -rl --checksum --delete --filter='+ */' --filter='+ Kbuild' \
		--filter='+ Makefile' --filter='+ dkms.conf' \
		--filter='+ *.[ch]' --filter='- *' "$CP_ROOT/Kbuild" \
		"$CP_ROOT/Makefile" "$CP_ROOT/dkms.conf" "$CP_ROOT/module" \
		"$CP_ROOT/kunit" "$CP_ROOT/include" "$1/"
}

# cp_obj_dir NAME: where the modules are built for kernel NAME; one per
# kernel and per work tree, so clones never share object files. With
# CACHEPROXY_BUSTED=1 in the environment (the negative control: make reads
# it and Kbuild adds the broken strategy "busted") the build goes to a
# directory of its own, so it never mixes with the real module.
cp_obj_dir()
{
	local tree

	tree=$(echo "$CP_ROOT" | sha256sum | cut -c1-8)
	if [ "${CACHEPROXY_BUSTED:-}" = 1 ]; then
		echo "$CP_CACHE/obj/$tree/$1-busted"
	else
		echo "$CP_CACHE/obj/$tree/$1"
	fi
}

# cp_result STATUS TEXT: one case of a test command, "ok   TEXT" when
# STATUS is 0, else "FAIL TEXT"; counted in cp_npass and cp_nfail.
cp_npass=0
cp_nfail=0
cp_result()
{
	if [ "$1" = 0 ]; then
		cp_npass=$((cp_npass + 1))
		echo "ok   $2"
	else
		cp_nfail=$((cp_nfail + 1))
		echo "FAIL $2"
	fi
}

# cp_results: cp_result for every "ok TEXT" or "FAIL TEXT" line of the
# standard input (another command's cases); other lines are ignored.
cp_results()
{
	local verdict line

	while read -r verdict line; do
		case $verdict in
		ok) cp_result 0 "$line" ;;
		FAIL) cp_result 1 "$line" ;;
		esac
	done
}

# cp_kunit_suite_args: "--expect-suite NAME" for every KUnit suite that
# kunit/*.c declares, for scripts/ktap-summary.
cp_kunit_suite_args()
{
	local s

	for s in $(grep -ho '\.name = "cacheproxy[a-z0-9_]*"' \
		   "$CP_ROOT"/kunit/*.c | cut -d'"' -f2); do
		printf -- '--expect-suite\n%s\n' "$s"
	done
}
