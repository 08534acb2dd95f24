/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libcacheproxy, the module's client: the ioctls of /dev/cacheproxy, the
 * lookup file /proc/cacheproxy/lookup and the stats file's dedup line.
 * Every function returns 0 or a negative errno (never sets a global);
 * none prints anything. Linked by the tools and the kselftests alike
 * (fake-client.c is the tools' in-process stand-in for this file).
 */
#ifndef _CP_CLIENT_H
#define _CP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#define CP_DEFAULT_DEVICE	"/dev/cacheproxy"
#define CP_PROC_DIR		"/proc/cacheproxy/"
#define CP_DEFAULT_PROC_LOOKUP	CP_PROC_DIR "lookup"
#define CP_DEFAULT_PROC_STATS	CP_PROC_DIR "stats"

struct cacheproxy_batch_item;
struct cacheproxy_loader_attach;
struct cacheproxy_stats;

/* Returns an fd opened O_RDWR | O_CLOEXEC, or a negative errno. */
int cp_open(const char *path);

/*
 * CACHEPROXY_IOC_GET. *@val_len gets the struct's value_len as the call
 * left it: the value's length, the length needed (-ENOSPC), or UINT32_MAX
 * where the kernel did not write it. A success whose value_len exceeds
 * @val_size (the kernel breaking its contract) is -EOVERFLOW.
 */
int cp_dev_get(int fd, const char *key, size_t key_len, char *val,
	       size_t val_size, size_t *val_len);
/* 0 when the call as a whole worked; each item then has its own status. */
int cp_dev_get_batch(int fd, struct cacheproxy_batch_item *items,
		     unsigned int count);
/*
 * An ioctl the module does not know (the floor of a system call into the
 * driver): returns -ENOTTY from a working module.
 */
int cp_dev_noop(int fd);
int cp_dev_invalidate(int fd, const char *key, size_t key_len);
int cp_dev_flush(int fd);
/*
 * Fills @st (zeroed first, @st->size set). A strategy name the kernel did
 * not NUL-terminate is -EBADMSG: on success it always is.
 */
int cp_dev_stats(int fd, struct cacheproxy_stats *st);

/*
 * CACHEPROXY_IOC_LOADER_ATTACH with @flags (CACHEPROXY_LOADER_*): the new
 * channel's fd, or -errno. @a (zeroed first, its size set) holds what the
 * kernel wrote back.
 */
int cp_dev_loader_attach(int fd, unsigned int flags,
			 struct cacheproxy_loader_attach *a);

/*
 * Whether the module's strategy shares one load among concurrent misses of
 * a key: the "dedup 0|1" line of the stats file at @path. Returns 1, 0,
 * or cp_proc_stat()'s negative errno (-ENODATA without such a line: a
 * module older than the tool), -EINVAL also for a value other than 0, 1.
 */
int cp_proc_dedup(const char *path);

/**
 * struct cp_proc - one open /proc/cacheproxy/lookup
 * @fd:		the file, opened O_RDWR
 * @stream:	the file refused positioned I/O (ESPIPE): plain write/read
 */
struct cp_proc {
	int fd;
	bool stream;
};

/*
 * One lookup through the proc file: pwrite(key, offset 0), which fails
 * with the lookup's errno, then pread(offset 0), which returns "value\n";
 * the trailing newline is stripped. Positioned I/O leaves the file offset
 * at 0, so no lseek is needed; if the file refuses it, plain write/read.
 * @val_size must leave room for the newline.
 */
int cp_proc_get(struct cp_proc *p, const char *key, size_t key_len,
		char *val, size_t val_size, size_t *val_len);

#endif /* _CP_CLIENT_H */
