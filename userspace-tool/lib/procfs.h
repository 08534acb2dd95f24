/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libcacheproxy, the module's text files: whole reads and writes, and the
 * "name value" lines of /proc/cacheproxy/stats. Every function returns 0
 * (or a length) or a negative errno; none prints anything.
 */
#ifndef _CP_PROCFS_H
#define _CP_PROCFS_H

#include <stddef.h>
#include <sys/types.h>

/*
 * @fd read to its end (or until @buf, NUL-terminated, is full): the
 * length read or -errno.
 */
ssize_t cp_read_fd(int fd, char *buf, size_t size);

/* The whole file into @buf (NUL-terminated): its length or -errno. */
ssize_t cp_read_file(const char *path, char *buf, size_t size);

/* One write of @len bytes to @path: 0, -errno, or -EIO when cut short. */
int cp_write_file(const char *path, const void *data, size_t len);

/*
 * Finds the line "@name VALUE" of a stats text and parses VALUE as a
 * decimal. Returns 0, -ENODATA without such a line, -EINVAL for a bad
 * value.
 */
int cp_stat_line(const char *text, const char *name, unsigned long long *v);

/*
 * One line of the stats file at @path (which, unlike the device, does not
 * pin the module). Returns 0, -errno of the read, or cp_stat_line()'s
 * -ENODATA / -EINVAL.
 */
int cp_proc_stat(const char *path, const char *name, unsigned long long *v);

#endif /* _CP_PROCFS_H */
