// SPDX-License-Identifier: GPL-2.0
/*
 * Thin wrappers over the ioctls of /dev/cacheproxy and the proc lookup
 * file, shared by cacheproxy and cacheproxy-stress.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/cacheproxy.h>

#include "client.h"

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
	};

	*val_len = 0;
	if (ioctl(fd, CACHEPROXY_IOC_GET, &g) < 0)
		return -errno;
	*val_len = g.value_len;
	if (g.value_len > val_size)
		return -EOVERFLOW;	/* the kernel broke its own contract */
	return 0;
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
	st->strategy[sizeof(st->strategy) - 1] = '\0';
	return 0;
}

int cp_proc_dedup(const char *path)
{
	char text[8192], *d;
	size_t len = 0;
	ssize_t n;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		n = read(fd, text + len, sizeof(text) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len == sizeof(text) - 1)
			break;
	}
	err = n < 0 ? -errno : 0;
	close(fd);
	if (err)
		return err;
	text[len] = '\0';
	if (!strncmp(text, "dedup ", 6))
		d = text + 6;
	else if ((d = strstr(text, "\ndedup ")))
		d += 7;
	else
		return -ENODATA;
	if ((d[0] != '0' && d[0] != '1') || d[1] != '\n')
		return -EINVAL;
	return d[0] - '0';
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
