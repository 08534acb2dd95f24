// SPDX-License-Identifier: GPL-2.0
/*
 * The module's text files, for the tools and the kselftests (see
 * procfs.h).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "procfs.h"

ssize_t cp_read_fd(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;

	while (len + 1 < size) {
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	return (ssize_t)len;
}

ssize_t cp_read_file(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = cp_read_fd(fd, buf, size);
	close(fd);
	return n;
}

int cp_write_file(const char *path, const void *data, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, data, len);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n < 0)
		return (int)n;
	return (size_t)n == len ? 0 : -EIO;
}

int cp_stat_line(const char *text, const char *name, unsigned long long *v)
{
	size_t len = strlen(name);
	const char *line = text;
	char *end;

	while (line && *line) {
		if (!strncmp(line, name, len) && line[len] == ' ') {
			if (!isdigit((unsigned char)line[len + 1]))
				return -EINVAL;
			errno = 0;
			*v = strtoull(line + len + 1, &end, 10);
			if (errno || (*end != '\n' && *end != '\0'))
				return -EINVAL;
			return 0;
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return -ENODATA;
}

int cp_proc_stat(const char *path, const char *name, unsigned long long *v)
{
	char text[8192];
	ssize_t n;

	n = cp_read_file(path, text, sizeof(text));
	if (n < 0)
		return (int)n;
	return cp_stat_line(text, name, v);
}
