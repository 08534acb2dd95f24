// SPDX-License-Identifier: GPL-2.0
/*
 * Thin wrappers over the ioctls of /dev/cacheproxy and the proc lookup
 * file (see client.h), shared by the tools and the kselftests.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/cacheproxy.h>

#include "client.h"
#include "procfs.h"

int cp_open(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int cp_dev_get(int fd, const char *key, size_t key_len, char *val,
	       size_t val_size, size_t *val_len)
{
	struct cacheproxy_get g = {
		.key = (uintptr_t)key,
		.value = (uintptr_t)val,
		.key_len = (__u32)key_len,
		.value_size = (__u32)val_size,
		.value_len = UINT32_MAX,	/* not written */
	};
	int ret = ioctl(fd, CACHEPROXY_IOC_GET, &g) < 0 ? -errno : 0;

	*val_len = g.value_len;
	if (!ret && g.value_len > val_size)
		return -EOVERFLOW;	/* the kernel broke its own contract */
	return ret;
}

int cp_dev_get_batch(int fd, struct cacheproxy_batch_item *items,
		     unsigned int count)
{
	struct cacheproxy_get_batch b = {
		.items = (uintptr_t)items,
		.count = count,
	};

	return ioctl(fd, CACHEPROXY_IOC_GET_BATCH, &b) < 0 ? -errno : 0;
}

/* A command number of our magic that the module does not define. */
#define CP_IOC_NOOP	_IO(CACHEPROXY_IOC_MAGIC, 0x7f)

int cp_dev_noop(int fd)
{
	return ioctl(fd, CP_IOC_NOOP) < 0 ? -errno : 0;
}

int cp_dev_invalidate(int fd, const char *key, size_t key_len)
{
	struct cacheproxy_key k = {
		.key = (uintptr_t)key,
		.key_len = (__u32)key_len,
	};

	return ioctl(fd, CACHEPROXY_IOC_INVALIDATE, &k) < 0 ? -errno : 0;
}

int cp_dev_flush(int fd)
{
	return ioctl(fd, CACHEPROXY_IOC_FLUSH) < 0 ? -errno : 0;
}

int cp_dev_stats(int fd, struct cacheproxy_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	if (ioctl(fd, CACHEPROXY_IOC_STATS, st) < 0)
		return -errno;
	if (!memchr(st->strategy, '\0', sizeof(st->strategy)))
		return -EBADMSG;	/* the kernel broke its own contract */
	return 0;
}

int cp_dev_loader_attach(int fd, unsigned int flags,
			 struct cacheproxy_loader_attach *a)
{
	int ch;

	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	a->flags = flags;
	ch = ioctl(fd, CACHEPROXY_IOC_LOADER_ATTACH, a);
	return ch < 0 ? -errno : ch;
}

int cp_proc_dedup(const char *path)
{
	unsigned long long v;
	int ret = cp_proc_stat(path, "dedup", &v);

	if (ret)
		return ret;
	return v > 1 ? -EINVAL : (int)v;
}

int cp_proc_get(struct cp_proc *p, const char *key, size_t key_len,
		char *val, size_t val_size, size_t *val_len)
{
	ssize_t n = 0;

	*val_len = 0;
	if (!p->stream) {
		n = pwrite(p->fd, key, key_len, 0);
		if (n < 0 && errno == ESPIPE)
			p->stream = true;
	}
	if (p->stream)
		n = write(p->fd, key, key_len);
	if (n < 0)
		return -errno;
	if ((size_t)n != key_len)
		return -EMSGSIZE;	/* a short write: not the contract */

	n = p->stream ? read(p->fd, val, val_size) :
			pread(p->fd, val, val_size, 0);
	if (n < 0)
		return -errno;
	if (n == 0 || val[n - 1] != '\n')
		return -EBADMSG;	/* no newline: cut or malformed */
	*val_len = (size_t)n - 1;
	return 0;
}
