# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the cacheproxy scripts; sourced, not run.
# shellcheck shell=bash

# CI may run without HOME; tools (checkpatch.pl, the cache path) need it.
if [ -z "${HOME:-}" ]; then
	HOME=$(getent passwd "$(id -u)" | cut -d: -f6)
	export HOME
fi

CP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CP_CACHE=${CACHEPROXY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cacheproxy}
CP_SRC_PKG=linux-source-6.12

# The module's strategies, the one list of the scripts (the guests get it
# from vm-run, in their environment). The module's own list is the table
# of module/cache.c, which scripts/ktap-summary reads; runner-selftest
# checks that the two agree. "busted", the test build's negative control
# (scripts/negative-control), is not one of them.
CP_STRATEGIES="spinlock kthread shard singleflight"

# The strategy the module runs when strategy= is not given (module/params.c),
# one of $CP_STRATEGIES: the scripts' default where one strategy is enough
# (the demo, the benchmarks' single-strategy figures); the guests get it
# from vm-run too.
# shellcheck disable=SC2034 # used by the scripts that source this file
CP_DEFAULT_STRATEGY=shard

# The strategies whose concurrent misses of a key share one load, stated
# here apart from the module's own "dedup" line, which the tools trust:
# scripts/torture-report requires the stress tool's same-N check to have
# run for each of them, so a strategy that stopped sharing loads and said
# so is still caught. "busted" claims to share loads (and must be caught
# breaking it).
# shellcheck disable=SC2034 # used by the scripts that source this file
CP_DEDUP_STRATEGIES="kthread shard singleflight busted"

# cp_is_strategy NAME: true when NAME is one of $CP_STRATEGIES.
cp_is_strategy()
{
	[[ $1 =~ ^[a-z]+$ && " $CP_STRATEGIES " == *" $1 "* ]]
}

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
		xz-utils python3 perl sparse gcc-multilib libsqlite3-dev \
		golang-go golang-golang-x-sync-dev memcached liburing-dev
}

# cp_kernel_field NAME COLUMN: one column of scripts/vm/kernels for NAME.
# Columns: 1 name, 2 source, 3 mem, 4 fragments, 5 cmdline, 6 faults.
cp_kernel_field()
{
	awk -v n="$1" -v c="$2" '!/^#/ && $1 == n { print $c; f = 1 }
		END { exit !f }' "$CP_ROOT/scripts/vm/kernels"
}

cp_kernel_names()
{
	awk '!/^#/ && NF { print $1 }' "$CP_ROOT/scripts/vm/kernels"
}

# cp_kernel_faults NAME: "yes" when scripts/vm/kernels declares fault
# injection for kernel NAME, "no" when it declares none; fails otherwise.
cp_kernel_faults()
{
	local f

	f=$(cp_kernel_field "$1" 6) || return 1
	case $f in
	yes|no) echo "$f" ;;
	*) cp_log "scripts/vm/kernels: '$1' declares faults '$f' (yes or no)"
	   return 1 ;;
	esac
}

# The options the fault tests need where a kernel declares fault injection.
# shellcheck disable=SC2034 # used by the scripts that source this file
CP_FAULT_OPTIONS="CONFIG_DEBUG_FS CONFIG_FAULT_INJECTION CONFIG_FAILSLAB CONFIG_FAULT_INJECTION_DEBUG_FS"

# What the guest init's scan of the kernel log counts as a problem
# (scripts/vm/init): a warning, oops, lockdep or sanitizer report, a hung
# task, a leak.
# shellcheck disable=SC2034 # used by the scripts that source this file
CP_SPLATS='WARNING:|BUG:|Oops|kernel BUG|general protection|possible circular|possible recursive|inconsistent lock|suspicious RCU|UBSAN:|INFO: task|Call Trace:|unreferenced object'

# cp_config_missing CONFIG FRAGMENT...: merge_config.sh's check ("Value
# requested for ... not in final .config"), made on the result: print every
# option the fragments request (the last fragment that sets one wins) that
# is not so in CONFIG, as "CONFIG_X: requested y, got n". A request for "is
# not set" is met by an option that is absent. Exit status: 0 when nothing
# is missing.
cp_config_missing()
{
	local config=$1

	shift
	awk '
	function val(line, m) {
		if (match(line, /^CONFIG_[A-Za-z0-9_]+=/))
			return substr(line, RLENGTH + 1)
		return "n"
	}
	function name(line) {
		if (match(line, /CONFIG_[A-Za-z0-9_]+/))
			return substr(line, RSTART, RLENGTH)
		return ""
	}
	FNR == 1 { file++ }
	!/^CONFIG_[A-Za-z0-9_]+=/ && !/^# CONFIG_[A-Za-z0-9_]+ is not set/ { next }
	file == 1 { got[name($0)] = val($0); next }
	{
		want[name($0)] = val($0)
		if (!(name($0) in order))
			order[name($0)] = ++n
	}
	END {
		for (o in want) {
			g = (o in got) ? got[o] : "n"
			if (g != want[o])
				bad[order[o]] = o ": requested " want[o] ", got " g
		}
		for (i = 1; i <= n; i++)
			if (i in bad) {
				print bad[i]
				status = 1
			}
		exit status
	}' "$config" "$@"
}

# cp_ktap_allow_args KERNEL: the --allow-skip-reason arguments of
# scripts/ktap-summary for a guest-check run on KERNEL. The fault tests'
# "no failslab / fail_cacheproxy" and the gate's skips are allowed only
# where scripts/vm/kernels declares no fault injection; nothing else.
cp_ktap_allow_args()
{
	local faults

	faults=$(cp_kernel_faults "$1") || return 1
	if [ "$faults" = no ]; then
		printf -- '--allow-skip-reason\n%s\n' \
			'^no /sys/kernel/debug/(failslab|fail_cacheproxy)/: this kernel has no CONFIG_' \
			'^this kernel is declared without fault injection$'
	fi
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
		--filter='+ *.[ch]' --filter='+ *.sh' --filter='- *' "$CP_ROOT/Kbuild" \
		"$CP_ROOT/Makefile" "$CP_ROOT/dkms.conf" "$CP_ROOT/module" \
		"$CP_ROOT/kunit" "$CP_ROOT/include" "$1/"
}

# cp_obj_dir NAME: where the modules are built for kernel NAME; one per
# kernel and per work tree, so clones never share object files. With
# CACHEPROXY_BUSTED=1 in the environment (the negative control: make reads
# it and Kbuild adds the broken strategy "busted") the build goes to a
# directory of its own, so it never mixes with the real module; likewise
# CACHEPROXY_PLANT=NAME (a planted bug of module/plant.h).
cp_obj_dir()
{
	local tree

	tree=$(echo "$CP_ROOT" | sha256sum | cut -c1-8)
	if [ "${CACHEPROXY_BUSTED:-}" = 1 ]; then
		echo "$CP_CACHE/obj/$tree/$1-busted"
	elif [ -n "${CACHEPROXY_PLANT:-}" ]; then
		echo "$CP_CACHE/obj/$tree/$1-plant-$CACHEPROXY_PLANT"
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
