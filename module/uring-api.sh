#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# uring-api.sh SRCTREE: which io_uring command API the kernel headers under
# SRCTREE declare, for Kbuild (module/uring_compat.h): 2 for that of 6.7
# and later as far as it is known (6.12), 1 for 6.1's with the issue
# flags, 0 for anything else (the module then has no io_uring commands).
# The declarations are looked for, not the version: stable kernels took
# parts of the API back, and later ones changed it again.

h=$1/include/linux
has()
{
	grep -Pzq "$1" "$2" 2>/dev/null
}

cmd=$h/io_uring/cmd.h
if has 'void \(\*task_work_cb\)\(struct io_uring_cmd \*cmd, unsigned\);' "$cmd" &&
	has 'void io_uring_cmd_done\(struct io_uring_cmd \*cmd, ssize_t ret, u64 res2,\s*unsigned issue_flags\);' "$cmd" &&
	has 'io_uring_cmd_do_in_task_lazy\(' "$cmd" &&
	has 'void io_uring_cmd_mark_cancelable\(' "$cmd" &&
	has 'io_uring_sqe_cmd\(' "$cmd"; then
	echo 2
	exit 0
fi
old=$h/io_uring.h
if has 'const void\s+\*cmd;' "$old" &&
	has 'void \(\*task_work_cb\)\(struct io_uring_cmd \*cmd, unsigned\);' "$old" &&
	has 'void io_uring_cmd_done\(struct io_uring_cmd \*cmd, ssize_t ret, ssize_t res2,\s*unsigned issue_flags\);' "$old" &&
	has 'void io_uring_cmd_complete_in_task\(struct io_uring_cmd \*ioucmd,\s*void \(\*task_work_cb\)\(struct io_uring_cmd \*, unsigned\)\);' "$old"; then
	echo 1
	exit 0
fi
echo 0
