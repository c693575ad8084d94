#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the test VM (scripts/vm/kipc-vm --add ... -- ./run_kipc_tests.sh):
# loads kipc.ko, runs each kselftest program, checks that rmmod is refused
# while a region mapping (kipc-hold) or /dev/kipc is open and succeeds
# after. Prints TAP lines; exits non-zero on any failure.
# Usage: run_kipc_tests.sh [TEST_PROGRAM | DIR]...
# No argument: every kipc_*_test here. A DIR runs every kipc_*_test in it
# ("." is here): another build of the suite, such as the 32-bit one in
# m32/ (make m32). Its output is framed by "# kipc-tests: begin DIR" and
# "# kipc-tests: end DIR" lines (not for "."), which scripts/check uses to
# tell the builds' results apart.
set -u
cd "$(dirname "$0")" || exit 1

fail=0
ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; fail=1; }
mark() { echo "kipc-selftest: $*" > /dev/kmsg 2>/dev/null || true; }

if [ "$#" -eq 0 ]; then
	for t in kipc_*_test; do
		set -- "$@" "$t"
	done
fi

if insmod ./kipc.ko; then
	ok "kipc.insmod"
else
	notok "kipc.insmod"
	exit 1
fi
if [ -c /dev/kipc ]; then ok "kipc.dev_node"; else notok "kipc.dev_node"; fi

run_test() { # PATH: a test program, relative to here
	if [ ! -x "./$1" ]; then
		notok "$1 missing"
		return
	fi
	mark "start $1"
	"./$1"
	rc=$?
	mark "end $1 rc=$rc"
	# 4 is kselftest's "all skipped"; the harness printed why.
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 4 ]; then
		notok "$1 exited with status $rc"
	fi
}

for t in "$@"; do
	if [ "$t" = . ]; then
		for p in kipc_*_test; do
			run_test "$p"
		done
	elif [ -d "$t" ]; then
		d=${t%/}
		echo "# kipc-tests: begin $d"
		found=0
		for p in "$d"/kipc_*_test; do
			[ -e "$p" ] || continue
			found=1
			run_test "$p"
		done
		[ "$found" -eq 1 ] || notok "$d: no kipc_*_test programs"
		echo "# kipc-tests: end $d"
	else
		run_test "$t"
	fi
done

# kipc-bench's correctness mode, when it was added to the VM: every
# transport must deliver every byte right (it prints its own TAP lines).
# No timing is judged.
if [ -x ./kipc-bench ]; then
	mark "start kipc-bench --check"
	./kipc-bench --quick --check --raise-limits -q
	rc=$?
	mark "end kipc-bench rc=$rc"
	[ "$rc" -eq 0 ] || notok "kipc-bench --check exited with status $rc"
fi

# A region mapping whose fds are all closed holds the module too
# (selftests/stress/kipc-hold keeps one until SIGTERM).
if [ -x ./kipc-hold ]; then
	rm -f /tmp/kipc-hold.ready
	./kipc-hold --ready /tmp/kipc-hold.ready > /dev/null &
	hold=$!
	n=0
	while [ ! -e /tmp/kipc-hold.ready ] && [ "$n" -lt 60 ]; do
		sleep 1
		n=$((n + 1))
	done
	if [ ! -e /tmp/kipc-hold.ready ]; then
		notok "kipc.rmmod_refused_while_mapped (kipc-hold did not get a mapping)"
	elif rmmod kipc 2>/dev/null; then
		notok "kipc.rmmod_refused_while_mapped"
		insmod ./kipc.ko
	else
		ok "kipc.rmmod_refused_while_mapped"
	fi
	kill "$hold"
	wait "$hold"
else
	ok "kipc.rmmod_refused_while_mapped # SKIP kipc-hold was not added to the VM"
fi

exec 3< /dev/kipc
if rmmod kipc 2>/dev/null; then
	notok "kipc.rmmod_refused_while_open"
	insmod ./kipc.ko
else
	ok "kipc.rmmod_refused_while_open"
fi
exec 3<&-
if rmmod kipc; then ok "kipc.rmmod_after_close"; else notok "kipc.rmmod_after_close"; fi
if [ -e /sys/module/kipc ]; then notok "kipc.unloaded"; else ok "kipc.unloaded"; fi
exit "$fail"
