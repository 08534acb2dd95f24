// SPDX-License-Identifier: GPL-2.0
/*
 * memcached's text protocol, client side (see memcached.h). Requests are
 * built whole in a buffer and sent with one send(); answers are read
 * through a buffer and parsed line by line ("\r\n"), a value as the byte
 * count its VALUE line announced followed by "\r\n".
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "memcached.h"

#define MC_IN_SIZE	16384	/* the longest line must fit */
#define MC_OUT_SIZE	8192	/* one set of the longest key and value */
#define MC_VALUE_MAX	(1U << 30)	/* no server sends more */

/**
 * struct cp_mc - one connection
 * @in:		answers read and not yet parsed are in[@head, @tail)
 * @dead:	0, or the error that killed the connection (returned by
 *		every later call)
 * @why:	the last error, in words
 */
struct cp_mc {
	int fd;
	int dead;
	size_t head;
	size_t tail;
	char why[160];
	char in[MC_IN_SIZE];
	char out[MC_OUT_SIZE];
};

__attribute__((format(printf, 3, 4)))
static int fail(struct cp_mc *mc, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(mc->why, sizeof(mc->why), fmt, ap);
	va_end(ap);
	if (err != -EREMOTEIO)
		mc->dead = err;
	return err;
}

__attribute__((format(printf, 3, 4)))
static int addr_error(char *err, size_t err_size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, err_size, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int parse_port(const char *s, unsigned int *port)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end || errno || v < 1 || v > 65535)
		return -1;
	*port = (unsigned int)v;
	return 0;
}

int cp_mc_parse_addr(const char *addr, struct sockaddr_storage *ss,
		     socklen_t *len, char *err, size_t err_size)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_un *su = (struct sockaddr_un *)ss;
	unsigned int port = CP_MC_DEFAULT_PORT;
	char host[64];
	const char *p, *colon;
	size_t n;

	memset(ss, 0, sizeof(*ss));
	p = !strncmp(addr, "unix:", 5) ? addr + 5 :
	    (addr[0] == '/' || addr[0] == '.') ? addr : NULL;
	if (p) {
		n = strlen(p);
		if (!n)
			return addr_error(err, err_size, "no socket path");
		if (n >= sizeof(su->sun_path))
			return addr_error(err, err_size,
					  "socket path longer than %zu bytes",
					  sizeof(su->sun_path) - 1);
		su->sun_family = AF_UNIX;
		memcpy(su->sun_path, p, n + 1);
		*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
		return 0;
	}
	if (addr[0] == '[') {
		p = strchr(addr, ']');
		if (!p || (p[1] != '\0' && p[1] != ':'))
			return addr_error(err, err_size,
					  "not [IPV6] or [IPV6]:PORT");
		colon = p[1] ? p + 1 : NULL;
		n = (size_t)(p - addr - 1);
		p = addr + 1;
	} else {
		colon = strrchr(addr, ':');
		n = colon ? (size_t)(colon - addr) : strlen(addr);
		p = addr;
	}
	if (!n || n >= sizeof(host))
		return addr_error(err, err_size, "no host, or a host too long");
	memcpy(host, p, n);
	host[n] = '\0';
	if (colon && parse_port(colon + 1, &port))
		return addr_error(err, err_size, "'%s' is not a port (1..65535)",
				  colon + 1);
	if (!strcmp(host, "localhost"))
		snprintf(host, sizeof(host), "127.0.0.1");
	if (addr[0] != '[' && inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*len = sizeof(*s4);
		return 0;
	}
	if (addr[0] == '[' && inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*s6);
		return 0;
	}
	return addr_error(err, err_size,
			  "'%s' is not an address (unix:PATH, IPV4:PORT, [IPV6]:PORT, localhost:PORT)",
			  host);
}

int cp_mc_open_fd(int fd, struct cp_mc **mc)
{
	struct timeval tv = { .tv_sec = CP_MC_TIMEOUT_S };
	struct cp_mc *c = malloc(sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->fd = fd;
	c->dead = 0;
	c->head = 0;
	c->tail = 0;
	c->why[0] = '\0';
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	*mc = c;
	return 0;
}

int cp_mc_connect(const char *addr, struct cp_mc **mc, char *err,
		  size_t err_size)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, ret, one = 1;

	ret = cp_mc_parse_addr(addr, &ss, &len, err, err_size);
	if (ret)
		return ret;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, err_size, "socket: %s", strerror(-ret));
		return ret;
	}
	if (connect(fd, (struct sockaddr *)&ss, len)) {
		ret = -errno;
		snprintf(err, err_size, "connect: %s", strerror(-ret));
		close(fd);
		return ret;
	}
	if (ss.ss_family != AF_UNIX)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	ret = cp_mc_open_fd(fd, mc);
	if (ret) {
		snprintf(err, err_size, "%s", strerror(-ret));
		close(fd);
	}
	return ret;
}

void cp_mc_close(struct cp_mc *mc)
{
	if (!mc)
		return;
	close(mc->fd);
	free(mc);
}

const char *cp_mc_last_error(const struct cp_mc *mc)
{
	return mc->why;
}

int cp_mc_key_ok(const char *key, size_t key_len)
{
	size_t i;

	if (!key_len || key_len > CP_MC_KEY_MAX)
		return 0;
	for (i = 0; i < key_len; i++) {
		unsigned char c = (unsigned char)key[i];

		if (c <= ' ' || c == 0x7f)
			return 0;
	}
	return 1;
}

static int send_all(struct cp_mc *mc, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(mc->fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = errno == EAGAIN || errno == EWOULDBLOCK ?
				  -ETIMEDOUT : errno == EPIPE ? -ECONNRESET :
				  -errno;

			return fail(mc, err, "send: %s", strerror(-err));
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read more into in[]; 0, or the connection's end. */
static int fill(struct cp_mc *mc)
{
	ssize_t n;

	if (mc->head == mc->tail) {
		mc->head = 0;
		mc->tail = 0;
	} else if (mc->tail == sizeof(mc->in)) {
		memmove(mc->in, mc->in + mc->head, mc->tail - mc->head);
		mc->tail -= mc->head;
		mc->head = 0;
	}
	if (mc->tail == sizeof(mc->in))
		return fail(mc, -EPROTO, "an answer line longer than %zu bytes",
			    sizeof(mc->in));
	do {
		n = recv(mc->fd, mc->in + mc->tail, sizeof(mc->in) - mc->tail,
			 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		int err = errno == EAGAIN || errno == EWOULDBLOCK ?
			  -ETIMEDOUT : -errno;

		return fail(mc, err, "recv: %s", strerror(-err));
	}
	if (n == 0)
		return fail(mc, -ECONNRESET, "the server closed the connection");
	mc->tail += (size_t)n;
	return 0;
}

/*
 * The next line, without its "\r\n", NUL-terminated in place; valid until
 * the next read.
 */
static int read_line(struct cp_mc *mc, char **line, size_t *len)
{
	size_t off = 0;	/* bytes after head already searched */

	for (;;) {
		char *start = mc->in + mc->head;
		char *nl = memchr(start + off, '\n',
				  mc->tail - mc->head - off);

		if (nl) {
			if (nl == start || nl[-1] != '\r')
				return fail(mc, -EPROTO,
					    "an answer line not ended by \\r\\n");
			nl[-1] = '\0';
			*line = start;
			*len = (size_t)(nl - 1 - start);
			mc->head = (size_t)(nl + 1 - mc->in);
			return 0;
		}
		off = mc->tail - mc->head;
		if (fill(mc))
			return mc->dead;
	}
}

/* @n bytes of data, the first @size of them into @dst, then "\r\n". */
static int read_data(struct cp_mc *mc, char *dst, size_t size, size_t n)
{
	size_t want = n + 2, got = 0;

	while (got < want) {
		size_t avail, take, i;

		if (mc->head == mc->tail && fill(mc))
			return mc->dead;
		avail = mc->tail - mc->head;
		take = avail < want - got ? avail : want - got;
		for (i = 0; i < take; i++) {
			size_t at = got + i;
			char c = mc->in[mc->head + i];

			if (at < n) {
				if (at < size)
					dst[at] = c;
			} else if (c != (at == n ? '\r' : '\n')) {
				return fail(mc, -EPROTO,
					    "a value not %zu bytes followed by \\r\\n",
					    n);
			}
		}
		mc->head += take;
		got += take;
	}
	return 0;
}

/* ERROR, CLIENT_ERROR ..., SERVER_ERROR ...: -EREMOTEIO; else -EPROTO. */
static int unexpected(struct cp_mc *mc, const char *line, const char *cmd)
{
	if (!strcmp(line, "ERROR") || !strncmp(line, "CLIENT_ERROR", 12) ||
	    !strncmp(line, "SERVER_ERROR", 12))
		return fail(mc, -EREMOTEIO, "%s: %.100s", cmd, line);
	return fail(mc, -EPROTO, "%s: answered \"%.100s\"", cmd, line);
}

static int check_key(struct cp_mc *mc, const char *key, size_t key_len)
{
	if (mc->dead)
		return mc->dead;
	if (!cp_mc_key_ok(key, key_len))
		return -EINVAL;
	return 0;
}

static int parse_u64(const char *s, char **end, uint64_t *v)
{
	unsigned long long x;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	x = strtoull(s, end, 10);
	if (errno)
		return -1;
	*v = x;
	return 0;
}

/* Send "CMD KEY\r\n" and read the first line of the answer. */
static int key_command(struct cp_mc *mc, const char *cmd, const char *key,
		       size_t key_len, char **line)
{
	size_t n = strlen(cmd), len;
	int ret = check_key(mc, key, key_len);

	if (ret)
		return ret;
	memcpy(mc->out, cmd, n);
	mc->out[n] = ' ';
	memcpy(mc->out + n + 1, key, key_len);
	memcpy(mc->out + n + 1 + key_len, "\r\n", 2);
	ret = send_all(mc, mc->out, n + key_len + 3);
	return ret ? ret : read_line(mc, line, &len);
}

/* "VALUE <key> <flags> <bytes>[ <cas>]": the byte count for @key. */
static int parse_value_line(struct cp_mc *mc, char *line, const char *key,
			    size_t key_len, uint64_t *bytes)
{
	uint64_t flags;
	char *p = line + 6, *end;

	if (strncmp(p, key, key_len) || p[key_len] != ' ')
		return fail(mc, -EPROTO, "get %.*s: answered \"%.100s\"",
			    (int)key_len, key, line);
	p += key_len + 1;
	if (parse_u64(p, &end, &flags) || *end != ' ' ||
	    parse_u64(end + 1, &end, bytes) || (*end && *end != ' ') ||
	    *bytes > MC_VALUE_MAX)
		return fail(mc, -EPROTO, "get: malformed \"%.100s\"", line);
	return 0;
}

int cp_mc_get(struct cp_mc *mc, const char *key, size_t key_len, char *val,
	      size_t val_size, size_t *val_len)
{
	uint64_t bytes = 0;
	size_t len;
	char *line;
	int ret;

	*val_len = 0;
	ret = key_command(mc, "get", key, key_len, &line);
	if (ret)
		return ret;
	if (!strcmp(line, "END"))
		return 0;
	if (strncmp(line, "VALUE ", 6))
		return unexpected(mc, line, "get");
	ret = parse_value_line(mc, line, key, key_len, &bytes);
	if (!ret)
		ret = read_data(mc, val, val_size, (size_t)bytes);
	if (!ret)
		ret = read_line(mc, &line, &len);
	if (ret)
		return ret;
	if (strcmp(line, "END"))
		return fail(mc, -EPROTO, "get: \"%.100s\" after the value, not END",
			    line);
	*val_len = bytes < val_size ? (size_t)bytes : val_size;
	return 1;
}

/* Appends "set KEY 0 0 LEN\r\nVALUE\r\n" at out + @at; returns its end. */
static size_t put_set(struct cp_mc *mc, size_t at, const struct cp_mc_item *it)
{
	char *o = mc->out + at;
	int n;

	memcpy(o, "set ", 4);
	memcpy(o + 4, it->key, it->key_len);
	n = snprintf(o + 4 + it->key_len, 32, " 0 0 %zu\r\n", it->val_len);
	o += 4 + it->key_len + n;
	memcpy(o, it->val, it->val_len);
	memcpy(o + it->val_len, "\r\n", 2);
	return (size_t)(o + it->val_len + 2 - mc->out);
}

/* The longest set put_set() writes for @it. */
static size_t set_size(const struct cp_mc_item *it)
{
	return 4 + it->key_len + 32 + it->val_len + 2;
}

static int read_stored(struct cp_mc *mc)
{
	size_t len;
	char *line;
	int ret = read_line(mc, &line, &len);

	if (ret)
		return ret;
	return strcmp(line, "STORED") ? unexpected(mc, line, "set") : 0;
}

int cp_mc_set_many(struct cp_mc *mc, const struct cp_mc_item *items,
		   unsigned int count)
{
	size_t at = 0, sent = 0;
	unsigned int i;
	int ret = mc->dead, first = 0;

	if (ret)
		return ret;
	if (count > CP_MC_PIPE_MAX)
		return -EINVAL;
	for (i = 0; i < count; i++) {
		if (!cp_mc_key_ok(items[i].key, items[i].key_len) ||
		    set_size(&items[i]) > sizeof(mc->out))
			return -EINVAL;
	}
	/*
	 * The replies of CP_MC_PIPE_MAX sets fit in the socket buffers, so
	 * sending all before reading any cannot block both sides.
	 */
	for (i = 0; i < count; i++) {
		if (at + set_size(&items[i]) > sizeof(mc->out)) {
			ret = send_all(mc, mc->out + sent, at - sent);
			if (ret)
				return ret;
			at = 0;
			sent = 0;
		}
		at = put_set(mc, at, &items[i]);
	}
	ret = send_all(mc, mc->out + sent, at - sent);
	if (ret)
		return ret;
	for (i = 0; i < count; i++) {
		ret = read_stored(mc);
		if (ret && ret != -EREMOTEIO)
			return ret;
		if (ret && !first)
			first = ret;
	}
	return first;
}

int cp_mc_set(struct cp_mc *mc, const char *key, size_t key_len,
	      const char *val, size_t val_len)
{
	struct cp_mc_item it = { key, key_len, val, val_len };

	return cp_mc_set_many(mc, &it, 1);
}

int cp_mc_delete(struct cp_mc *mc, const char *key, size_t key_len)
{
	char *line;
	int ret = key_command(mc, "delete", key, key_len, &line);

	if (ret)
		return ret;
	if (!strcmp(line, "DELETED"))
		return 1;
	if (!strcmp(line, "NOT_FOUND"))
		return 0;
	return unexpected(mc, line, "delete");
}

int cp_mc_flush_all(struct cp_mc *mc)
{
	size_t len;
	char *line;
	int ret = mc->dead;

	if (!ret)
		ret = send_all(mc, "flush_all\r\n", 11);
	if (!ret)
		ret = read_line(mc, &line, &len);
	if (ret)
		return ret;
	return strcmp(line, "OK") ? unexpected(mc, line, "flush_all") : 0;
}

static const struct {
	const char *name;
	size_t off;
} stat_names[] = {
#define S(x) { #x, offsetof(struct cp_mc_stats, x) }
	S(cmd_get), S(get_hits), S(get_misses), S(cmd_set), S(delete_hits),
	S(delete_misses), S(cmd_flush), S(evictions), S(curr_items),
	S(bytes), S(limit_maxbytes), S(curr_connections), S(threads),
#undef S
};

/* "STAT name value": keep the value if we know the name. */
static void take_stat(struct cp_mc_stats *st, char *line)
{
	char *name = line + 5, *val = strchr(name, ' '), *end;
	uint64_t v;
	size_t i;

	if (!val)
		return;
	*val++ = '\0';
	if (!strcmp(name, "version")) {
		/* printed in JSON: only what needs no escaping */
		for (i = 0; val[i] && i < sizeof(st->version) - 1; i++)
			st->version[i] = isalnum((unsigned char)val[i]) ||
					 strchr(".-_+", val[i]) ? val[i] : '?';
		st->version[i] = '\0';
		return;
	}
	for (i = 0; i < sizeof(stat_names) / sizeof(stat_names[0]); i++) {
		if (strcmp(name, stat_names[i].name))
			continue;
		if (!parse_u64(val, &end, &v) && !*end)
			memcpy((char *)st + stat_names[i].off, &v, sizeof(v));
		return;
	}
}

int cp_mc_stats(struct cp_mc *mc, struct cp_mc_stats *st)
{
	size_t len;
	char *line;
	int ret = mc->dead;

	memset(st, 0, sizeof(*st));
	if (!ret)
		ret = send_all(mc, "stats\r\n", 7);
	while (!ret) {
		ret = read_line(mc, &line, &len);
		if (ret)
			return ret;
		if (!strcmp(line, "END"))
			break;
		if (strncmp(line, "STAT ", 5))
			return unexpected(mc, line, "stats");
		take_stat(st, line);
	}
	if (!ret && !st->version[0])
		return fail(mc, -EPROTO, "stats: no version: not memcached?");
	return ret;
}
