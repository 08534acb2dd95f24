// SPDX-License-Identifier: GPL-2.0
/*
 * cacheproxy-loaderd: the redis backend, "redis:HOST:PORT" or
 * "redis:unix:PATH", over a small RESP2 client of its own (no hiredis:
 * Debian ships no static one). HOST is a numeric IPv4 address, an IPv6
 * address in brackets, or "localhost" (a static binary does no name
 * lookup). A key is asked with "GET key" on the thread's own connection,
 * in database 0: a nil reply is ENOENT, a bulk reply the value, an error
 * reply (WRONGTYPE...) EIO. A lookup has one deadline, --timeout-ms
 * after it began, for all of it: connect, send, reply (a reply trickling
 * in byte by byte gets no more time); it gives up, EIO, soon after the
 * daemon begins to stop (a reply already on its way still has
 * RD_STOP_GRACE_MS). A bulk reply announcing more than RD_GET_BULK_MAX
 * bytes is EIO at once, unread, and the connection is dropped; a longer
 * value up to that is read and answered EFBIG. A connection that fails is
 * closed and made again by the next lookup (a lookup that finds its old
 * connection closed by the server retries once on a new one); a connect
 * that fails is -ENOTCONN, for the daemon to answer the rest of its read
 * at once.
 *
 * --invalidate-redis: one more connection subscribes to the keyspace
 * notifications of database 0 (PSUBSCRIBE __keyspace@0__:*), after adding
 * the classes KA (the keyspace channel and every class of event: string,
 * list, set, hash, zset, stream and generic commands, expiries,
 * evictions) to the server's notify-keyspace-events (CONFIG GET, then
 * CONFIG SET if one was missing; a server that refuses CONFIG must have
 * them set already). Each notification invalidates its key in the cache
 * (keys the cache cannot hold are skipped). Once subscribed, at start and
 * after every reconnection, the thread flushes the whole cache: changes
 * made before went unseen. A connection silent for RD_PING_MS is sent a
 * PING; one that fails, or gives no answer to the PING within
 * --timeout-ms, is closed, and the thread connects again every second.
 * FLUSHALL, FLUSHDB and SWAPDB send no keyspace event: they go unseen.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <linux/cacheproxy.h>

#include "loaderd.h"

/* The longest bulk string a reply may announce (redis' own limit). */
#define RD_BULK_MAX		(512LL * 1024 * 1024)
/*
 * The longest value a GET reply may announce: longer ones are not read
 * (EIO, the connection dropped); up to this, EFBIG.
 */
#define RD_GET_BULK_MAX		(CACHEPROXY_VALUE_MAX + 4096)
/* What a reply already coming still gets once the daemon stops. */
#define RD_STOP_GRACE_MS	100
/* The watcher PINGs a connection silent for this long. */
#define RD_PING_MS		1000
/* Room for a line (type, length, simple string, error) and an item. */
#define RD_LINE_MAX		1024
#define RD_ITEMS_MAX		4
/* How long the watcher waits before connecting again. */
#define RD_RETRY_MS		1000
/* The notification classes the watcher needs: keyspace, all events. */
#define RD_NOTIFY_FLAGS		"KA"
#define RD_KEYSPACE_PREFIX	"__keyspace@0__:"

struct rd_cfg {
	struct sockaddr_storage addr;
	socklen_t addr_len;
};

struct rd_conn {
	const struct rd_cfg *cfg;
	int fd;			/* -1: not connected */
	int timeout_ms;
	size_t rpos, rlen;
	char rbuf[16384];
};

/* One element of a reply (or the reply itself when it is no array). */
struct rd_item {
	char type;		/* '$', '+', '-', ':' */
	bool null;
	bool truncated;		/* longer than @s: cut */
	size_t len;
	char s[RD_LINE_MAX];
};

static int rd_parse(const char *arg, void **cfg, char *err, size_t err_size)
{
	struct rd_cfg *c = calloc(1, sizeof(*c));
	char host[64];
	const char *port, *h;
	size_t hlen;
	unsigned long p;
	char *end;

	if (!c) {
		snprintf(err, err_size, "redis: %s", strerror(ENOMEM));
		return -1;
	}
	if (!strncmp(arg, "unix:", 5)) {
		struct sockaddr_un *un = (struct sockaddr_un *)&c->addr;

		if (!arg[5] || strlen(arg + 5) >= sizeof(un->sun_path)) {
			snprintf(err, err_size,
				 "redis: unix: needs a PATH of 1..%zu bytes",
				 sizeof(un->sun_path) - 1);
			goto bad;
		}
		un->sun_family = AF_UNIX;
		strcpy(un->sun_path, arg + 5);
		c->addr_len = sizeof(*un);
		*cfg = c;
		return 0;
	}
	if (arg[0] == '[') {
		end = strchr(arg, ']');
		if (!end || end[1] != ':')
			goto bad_addr;
		h = arg + 1;
		hlen = (size_t)(end - h);
		port = end + 2;
	} else {
		port = strrchr(arg, ':');
		if (!port)
			goto bad_addr;
		h = arg;
		hlen = (size_t)(port - arg);
		port++;
		if (memchr(h, ':', hlen)) {
			snprintf(err, err_size,
				 "redis: an IPv6 HOST goes in brackets ([::1]:6379)");
			goto bad;
		}
	}
	if (!hlen || hlen >= sizeof(host))
		goto bad_addr;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	errno = 0;
	p = strtoul(port, &end, 10);
	if (*port < '0' || *port > '9' || *end || errno || !p || p > 65535) {
		snprintf(err, err_size, "redis: '%s' is not a port (1..65535)",
			 port);
		goto bad;
	}
	if (!strcmp(host, "localhost"))
		strcpy(host, "127.0.0.1");
	if (arg[0] != '[') {
		struct sockaddr_in *in = (struct sockaddr_in *)&c->addr;

		if (inet_pton(AF_INET, host, &in->sin_addr) != 1) {
			snprintf(err, err_size,
				 "redis: '%s' is not a numeric address (a static binary looks no name up)",
				 host);
			goto bad;
		}
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)p);
		c->addr_len = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&c->addr;

		if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1) {
			snprintf(err, err_size,
				 "redis: '%s' is not an IPv6 address", host);
			goto bad;
		}
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)p);
		c->addr_len = sizeof(*in6);
	}
	*cfg = c;
	return 0;
bad_addr:
	snprintf(err, err_size,
		 "redis: expected redis:HOST:PORT or redis:unix:PATH");
bad:
	free(c);
	return -1;
}

static void rd_disconnect(struct rd_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->rpos = c->rlen = 0;
}

static long long rd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/*
 * One command (a lookup, a subscription): the deadline of all its waits,
 * passed down to each, and where its failure is said.
 */
struct rd_op {
	long long deadline;	/* ms of CLOCK_MONOTONIC */
	char *err;
	size_t err_size;
};

static struct rd_op rd_op_start(const struct rd_conn *c, char *err,
				size_t err_size)
{
	struct rd_op op = {
		.deadline = rd_now_ms() + c->timeout_ms,
		.err = err,
		.err_size = err_size,
	};

	return op;
}

/*
 * Waits for @events on the connection until @op's deadline (a signal that
 * interrupts the wait does not extend it). Once the daemon stops, what is
 * left of the deadline is cut to RD_STOP_GRACE_MS. Returns 0, -ETIMEDOUT,
 * -ECANCELED (the daemon stops) or an error of poll(), said in @op->err
 * as the failure of @what.
 */
static int rd_wait(struct rd_conn *c, short events, struct rd_op *op,
		   const char *what)
{
	struct pollfd p[2] = {
		{ .fd = c->fd, .events = events },
		{ .fd = ld_stop_fd(), .events = POLLIN },
	};
	long long left;
	bool stopping;
	int n, ret;

	for (;;) {
		stopping = ld_stopping();
		if (stopping && op->deadline > rd_now_ms() + RD_STOP_GRACE_MS)
			op->deadline = rd_now_ms() + RD_STOP_GRACE_MS;
		left = op->deadline - rd_now_ms();
		if (left <= 0) {
			ret = stopping ? -ECANCELED : -ETIMEDOUT;
			break;
		}
		n = poll(p, stopping ? 1 : 2, left > 600000 ? 600000 : (int)left);
		if (n < 0 && errno != EINTR) {
			ret = -errno;
			break;
		}
		if (n > 0 && p[0].revents)
			return 0;
	}
	if (ret == -ETIMEDOUT)
		snprintf(op->err, op->err_size,
			 "redis: %s: timed out (--timeout-ms %d for the whole command)",
			 what, c->timeout_ms);
	else if (ret == -ECANCELED)
		snprintf(op->err, op->err_size,
			 "redis: %s: given up, the daemon is stopping", what);
	else
		snprintf(op->err, op->err_size, "redis: %s: %s", what,
			 strerror(-ret));
	return ret;
}

static int rd_connect(struct rd_conn *c, struct rd_op *op)
{
	int one = 1, soerr = 0, ret;
	socklen_t len = sizeof(soerr);

	rd_disconnect(c);
	c->fd = socket(c->cfg->addr.ss_family,
		       SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		ret = -errno;
		goto fail;
	}
	if (c->cfg->addr.ss_family != AF_UNIX)
		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (!connect(c->fd, (const struct sockaddr *)&c->cfg->addr,
		     c->cfg->addr_len))
		return 0;
	if (errno != EINPROGRESS && errno != EAGAIN) {
		ret = -errno;
		goto fail;
	}
	ret = rd_wait(c, POLLOUT, op, "connect");
	if (ret) {
		rd_disconnect(c);
		return ret;
	}
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len))
		ret = -errno;
	else if (soerr)
		ret = -soerr;
	if (!ret)
		return 0;
fail:
	snprintf(op->err, op->err_size, "redis: connect: %s", strerror(-ret));
	rd_disconnect(c);
	return ret;
}

/* Sends one command of @argc arguments (binary-safe). */
static int rd_send(struct rd_conn *c, int argc, const char *const *argv,
		   const size_t *lens, struct rd_op *op)
{
	char buf[1024];
	size_t len, off = 0;
	ssize_t n;
	int i, ret;

	len = (size_t)snprintf(buf, sizeof(buf), "*%d\r\n", argc);
	for (i = 0; i < argc; i++) {
		if (len + 32 + lens[i] > sizeof(buf)) {
			snprintf(op->err, op->err_size,
				 "redis: a command too long");
			return -E2BIG;
		}
		len += (size_t)snprintf(buf + len, sizeof(buf) - len,
					"$%zu\r\n", lens[i]);
		memcpy(buf + len, argv[i], lens[i]);
		len += lens[i];
		memcpy(buf + len, "\r\n", 2);
		len += 2;
	}
	while (off < len) {
		n = send(c->fd, buf + off, len - off, MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			ret = rd_wait(c, POLLOUT, op, "send");
			if (ret)
				return ret;
			continue;
		}
		ret = n < 0 ? -errno : -EPIPE;
		snprintf(op->err, op->err_size, "redis: send: %s",
			 strerror(-ret));
		return ret;
	}
	return 0;
}

/* Reads more bytes into the buffer (waiting up to the deadline). */
static int rd_fill(struct rd_conn *c, struct rd_op *op)
{
	ssize_t n;
	int ret;

	if (c->rpos == c->rlen) {
		c->rpos = c->rlen = 0;
	} else if (c->rpos) {
		memmove(c->rbuf, c->rbuf + c->rpos, c->rlen - c->rpos);
		c->rlen -= c->rpos;
		c->rpos = 0;
	}
	for (;;) {
		n = recv(c->fd, c->rbuf + c->rlen, sizeof(c->rbuf) - c->rlen,
			 0);
		if (n > 0) {
			c->rlen += (size_t)n;
			return 0;
		}
		if (!n) {
			snprintf(op->err, op->err_size,
				 "redis: the server closed the connection");
			return -ECONNRESET;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN) {
			ret = -errno;
			snprintf(op->err, op->err_size, "redis: recv: %s",
				 strerror(-ret));
			return ret;
		}
		ret = rd_wait(c, POLLIN, op, "recv");
		if (ret)
			return ret;
	}
}

static int rd_protocol(struct rd_op *op, const char *what)
{
	snprintf(op->err, op->err_size, "redis: protocol error: %s", what);
	return -EPROTO;
}

/*
 * Reads one line (without its CRLF) into @line, NUL-terminated; a longer
 * line is cut (the rest is skipped).
 */
static int rd_line(struct rd_conn *c, char *line, size_t size,
		   struct rd_op *op)
{
	bool cut = false;
	size_t len = 0;
	char *nl;
	int ret;

	for (;;) {
		char *start = c->rbuf + c->rpos;
		size_t avail = c->rlen - c->rpos, take, copy;

		nl = memchr(start, '\n', avail);
		take = nl ? (size_t)(nl - start) + 1 : avail;
		copy = take < size - 1 - len ? take : size - 1 - len;
		memcpy(line + len, start, copy);
		len += copy;
		cut |= copy < take;
		c->rpos += take;
		if (nl)
			break;
		ret = rd_fill(c, op);
		if (ret)
			return ret;
	}
	if (cut) {		/* a long error message: its start will do */
		line[len] = '\0';
		return 0;
	}
	if (len < 2 || line[len - 2] != '\r')
		return rd_protocol(op, "a line without CRLF");
	line[len - 2] = '\0';
	return 0;
}

/*
 * Reads a bulk string's @n bytes and its CRLF, keeping the first @size
 * bytes in @dst (NULL: keeps none).
 */
static int rd_bulk(struct rd_conn *c, long long n, char *dst, size_t size,
		   struct rd_op *op)
{
	unsigned long long left = (unsigned long long)n + 2, done = 0;
	int ret;

	while (left) {
		size_t avail = c->rlen - c->rpos, take;

		if (!avail) {
			ret = rd_fill(c, op);
			if (ret)
				return ret;
			continue;
		}
		take = avail < left ? avail : (size_t)left;
		if (dst && done < size) {
			size_t copy = take < size - done ? take :
							  (size_t)(size - done);

			memcpy(dst + done, c->rbuf + c->rpos, copy);
		}
		c->rpos += take;
		done += take;
		left -= take;
	}
	if (dst && (unsigned long long)n + 2 <= size &&
	    memcmp(dst + n, "\r\n", 2))
		return rd_protocol(op, "a bulk string without CRLF");
	return 0;
}

/* A length in a reply's line: -1..RD_BULK_MAX. */
static int rd_len(const char *s, long long *n)
{
	char *end;

	errno = 0;
	*n = strtoll(s, &end, 10);
	if (end == s || *end || errno || *n < -1 || *n > RD_BULK_MAX)
		return -1;
	return 0;
}

/*
 * The reply to GET: the value, nil, or an error. -EMSGSIZE: a value too
 * long to be read at all (the connection is out of step: drop it).
 */
static int rd_get_reply(struct rd_conn *c, char *val, size_t *val_len,
			struct rd_op *op)
{
	char line[RD_LINE_MAX];
	long long n;
	int ret;

	ret = rd_line(c, line, sizeof(line), op);
	if (ret)
		return ret;
	switch (line[0]) {
	case '$':
		if (rd_len(line + 1, &n))
			return rd_protocol(op, "a bad bulk length");
		if (n < 0)
			return -ENOENT;
		*val_len = (size_t)n;
		if (n > RD_GET_BULK_MAX) {
			snprintf(op->err, op->err_size,
				 "redis: GET: a value of %lld bytes announced (more than %d): not read, the connection dropped",
				 n, RD_GET_BULK_MAX);
			return -EMSGSIZE;
		}
		if (n > CACHEPROXY_VALUE_MAX) {
			ret = rd_bulk(c, n, NULL, 0, op);
			return ret ? ret : -EFBIG;
		}
		/* The value and its CRLF: room for both in a local buffer. */
		{
			char buf[CACHEPROXY_VALUE_MAX + 2];

			ret = rd_bulk(c, n, buf, sizeof(buf), op);
			if (ret)
				return ret;
			memcpy(val, buf, (size_t)n);
		}
		return 0;
	case '_':		/* RESP3's null */
		return -ENOENT;
	case '-':
		snprintf(op->err, op->err_size, "redis: GET: %s", line + 1);
		return -EREMOTEIO;
	default:
		return rd_protocol(op, "an unexpected reply to GET");
	}
}

/* One scalar of a reply (its line read: @line) into @it. */
static int rd_scalar(struct rd_conn *c, const char *line, struct rd_item *it,
		     struct rd_op *op)
{
	long long n;
	int ret;

	memset(it, 0, sizeof(*it));
	it->type = line[0];
	switch (line[0]) {
	case '$':
		if (rd_len(line + 1, &n))
			return rd_protocol(op, "a bad bulk length");
		if (n < 0) {
			it->null = true;
			return 0;
		}
		ret = rd_bulk(c, n, it->s, sizeof(it->s) - 1, op);
		if (ret)
			return ret;
		if (n > (long long)sizeof(it->s) - 3) {
			it->truncated = true;
			n = sizeof(it->s) - 3;
		}
		it->len = (size_t)n;
		it->s[n] = '\0';
		return 0;
	case '+':
	case '-':
	case ':':
		it->len = strlen(line + 1);
		memcpy(it->s, line + 1, it->len + 1);
		return 0;
	case '_':
		it->null = true;
		return 0;
	default:
		return rd_protocol(op, "an unexpected reply type");
	}
}

/*
 * Reads one reply: an array of scalars (at most @max kept, the others
 * skipped) or a scalar (one item). *@count is set to the items kept.
 */
static int rd_reply(struct rd_conn *c, struct rd_item *items, int max,
		    int *count, struct rd_op *op)
{
	char line[RD_LINE_MAX];
	struct rd_item skip;
	long long n, i;
	int ret;

	*count = 0;
	ret = rd_line(c, line, sizeof(line), op);
	if (ret)
		return ret;
	if (line[0] != '*' && line[0] != '>') {
		ret = rd_scalar(c, line, &items[0], op);
		*count = ret ? 0 : 1;
		return ret;
	}
	if (rd_len(line + 1, &n) || n > 1024)
		return rd_protocol(op, "a bad array length");
	for (i = 0; i < n; i++) {
		ret = rd_line(c, line, sizeof(line), op);
		if (ret)
			return ret;
		ret = rd_scalar(c, line, i < max ? &items[i] : &skip, op);
		if (ret)
			return ret;
	}
	*count = n < max ? (int)n : max;
	return 0;
}

static int rd_open(void *cfg, int timeout_ms, void **conn, char *err,
		   size_t err_size)
{
	struct rd_conn *c = calloc(1, sizeof(*c));
	struct rd_op op;
	int ret;

	if (!c) {
		snprintf(err, err_size, "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	c->cfg = cfg;
	c->fd = -1;
	c->timeout_ms = timeout_ms;
	op = rd_op_start(c, err, err_size);
	ret = rd_connect(c, &op);
	if (ret) {
		free(c);
		return ret;
	}
	*conn = c;
	return 0;
}

static int rd_get(void *conn, const char *key, size_t key_len, char *val,
		  size_t *val_len, char *err, size_t err_size)
{
	const char *argv[] = { "GET", key };
	const size_t lens[] = { 3, key_len };
	struct rd_conn *c = conn;
	struct rd_op op = rd_op_start(c, err, err_size);
	bool fresh;
	int ret, tries;

	for (tries = 0; tries < 2; tries++) {
		fresh = c->fd < 0;
		if (fresh) {
			ret = rd_connect(c, &op);
			if (ret)
				return -ENOTCONN;
		}
		ret = rd_send(c, 2, argv, lens, &op);
		if (!ret)
			ret = rd_get_reply(c, val, val_len, &op);
		switch (ret) {
		case 0:
		case -ENOENT:
		case -EFBIG:
			return ret;
		case -EREMOTEIO:	/* an error reply: still in sync */
			return -EIO;
		}
		rd_disconnect(c);
		/* Only a connection the server closed is worth a retry. */
		if (fresh || (ret != -ECONNRESET && ret != -EPIPE))
			break;
	}
	return -EIO;
}

static void rd_close(void *conn)
{
	struct rd_conn *c = conn;

	rd_disconnect(c);
	free(c);
}

const struct ld_backend_ops ld_redis_ops = {
	.name = "redis",
	.parse = rd_parse,
	.open = rd_open,
	.get = rd_get,
	.close = rd_close,
};

/* The keyspace watcher (--invalidate-redis). */

static struct {
	struct rd_conn conn;
	pthread_t tid;
	bool started;
} watch;

/* A command whose reply is one scalar (or array, ignored): 0 or error. */
static int rd_command(struct rd_conn *c, int argc, const char *const *argv,
		      struct rd_item *items, int *count, struct rd_op *op)
{
	size_t lens[4];
	int i, ret;

	for (i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	ret = rd_send(c, argc, argv, lens, op);
	if (!ret)
		ret = rd_reply(c, items, RD_ITEMS_MAX, count, op);
	return ret;
}

/*
 * Makes sure the server sends the notifications the watcher needs. A
 * refusal (CONFIG renamed away, ACL) is only logged: the flags may have
 * been set by the server's configuration.
 */
static int rd_notify_config(struct rd_conn *c, struct rd_op *op)
{
	static const char *const get[] = {
		"CONFIG", "GET", "notify-keyspace-events",
	};
	const char *set[] = {
		"CONFIG", "SET", "notify-keyspace-events", NULL,
	};
	struct rd_item it[RD_ITEMS_MAX];
	char flags[64];
	const char *f;
	size_t len;
	int n, ret;

	ret = rd_command(c, 3, get, it, &n, op);
	if (ret)
		return ret;
	if (n == 1 && it[0].type == '-') {
		ld_log("redis: CONFIG GET notify-keyspace-events: %s (the server must have notify-keyspace-events %s set)",
		       it[0].s, RD_NOTIFY_FLAGS);
		return 0;
	}
	if (n != 2 || it[1].type != '$' || it[1].null ||
	    it[1].len >= sizeof(flags) - sizeof(RD_NOTIFY_FLAGS))
		return rd_protocol(op, "an unexpected reply to CONFIG GET");
	memcpy(flags, it[1].s, it[1].len + 1);
	for (f = RD_NOTIFY_FLAGS; *f; f++) {
		if (strchr(flags, *f))
			continue;
		len = strlen(flags);
		flags[len] = *f;
		flags[len + 1] = '\0';
	}
	if (!strcmp(flags, it[1].s))
		return 0;
	set[3] = flags;
	ret = rd_command(c, 4, set, it, &n, op);
	if (ret)
		return ret;
	if (n == 1 && it[0].type == '-')
		ld_log("redis: CONFIG SET notify-keyspace-events %s: %s",
		       flags, it[0].s);
	return 0;
}

/* Connects, configures and subscribes the watcher's connection. */
static int rd_subscribe(struct rd_conn *c, char *err, size_t err_size)
{
	static const char *const psub[] = {
		"PSUBSCRIBE", RD_KEYSPACE_PREFIX "*",
	};
	struct rd_op op = rd_op_start(c, err, err_size);
	struct rd_item it[RD_ITEMS_MAX];
	int n, ret;

	ret = rd_connect(c, &op);
	if (!ret)
		ret = rd_notify_config(c, &op);
	if (!ret)
		ret = rd_command(c, 2, psub, it, &n, &op);
	if (!ret && (n < 1 || it[0].type != '$' ||
		     strcmp(it[0].s, "psubscribe"))) {
		if (n == 1 && it[0].type == '-')
			snprintf(err, err_size, "redis: PSUBSCRIBE: %s",
				 it[0].s);
		else
			rd_protocol(&op, "an unexpected reply to PSUBSCRIBE");
		ret = -EPROTO;
	}
	if (ret)
		rd_disconnect(c);
	return ret;
}

/* A pmessage: invalidates its key. */
static void rd_notified(const struct rd_item *it, int n)
{
	const size_t plen = sizeof(RD_KEYSPACE_PREFIX) - 1;
	char kbuf[LD_KEY_STR_MAX];
	const char *key;
	size_t len;
	int ret;

	if (n < 4 || it[0].type != '$' || strcmp(it[0].s, "pmessage") ||
	    it[2].type != '$' || it[2].truncated || it[2].len <= plen ||
	    memcmp(it[2].s, RD_KEYSPACE_PREFIX, plen))
		return;		/* not a keyspace notification */
	key = it[2].s + plen;
	len = it[2].len - plen;
	/* Keys the cache cannot hold were never cached. */
	if (len > CACHEPROXY_KEY_MAX || memchr(key, '\0', len) ||
	    memchr(key, '\n', len))
		return;
	ret = ld_invalidate(key, len);
	if (ret)
		ld_log("invalidate %s: %s", ld_key_str(key, len, kbuf,
						       sizeof(kbuf)),
		       strerror(-ret));
}

/* The answer to a PING on a subscribed connection: ["pong", ""]. */
static bool rd_is_pong(const struct rd_item *it, int n)
{
	return n >= 1 && (it[0].type == '$' || it[0].type == '+') &&
	       !strcasecmp(it[0].s, "pong");
}

/*
 * Waits up to @ms for the watcher's connection, or the stop; true: data
 * came (or the connection failed: the read says how).
 */
static bool rd_watch_wait(struct rd_conn *c, int ms)
{
	struct pollfd p[2] = {
		{ .fd = ld_stop_fd(), .events = POLLIN },
		{ .fd = c->fd, .events = POLLIN },
	};

	if (c->fd >= 0 && c->rpos < c->rlen)
		return true;
	if (poll(p, c->fd >= 0 ? 2 : 1, ms) <= 0)
		return false;
	return !p[0].revents && p[1].revents;
}

static void *rd_watch_run(void *arg)
{
	static const char *const ping[] = { "PING" };
	const size_t ping_len[] = { 4 };
	struct rd_conn *c = &watch.conn;
	struct rd_item it[RD_ITEMS_MAX];
	long long heard = rd_now_ms(), pinged = 0, now, wake;
	char err[LD_ERR_MAX];
	bool logged = false;
	struct rd_op op;
	int n, ret;

	(void)arg;
	while (!ld_stopping()) {
		if (c->fd < 0) {
			if (rd_subscribe(c, err, sizeof(err))) {
				if (!logged)
					ld_log("invalidation: %s (retrying every %d ms)",
					       err, RD_RETRY_MS);
				logged = true;
				rd_watch_wait(c, RD_RETRY_MS);
				continue;
			}
			logged = false;
			ret = ld_flush();
			ld_log("invalidation: subscribed again; %s",
			       ret ? "flushing the cache failed" :
			       "the cache was flushed (changes meanwhile went unseen)");
			heard = rd_now_ms();
			pinged = 0;
		}
		/* Silence: a PING, which must be answered in time. */
		now = rd_now_ms();
		if (pinged && now - pinged >= c->timeout_ms) {
			ld_log("invalidation: no answer to PING within %d ms: connecting again",
			       c->timeout_ms);
			rd_disconnect(c);
			continue;
		}
		if (!pinged && now - heard >= RD_PING_MS) {
			op = rd_op_start(c, err, sizeof(err));
			if (rd_send(c, 1, ping, ping_len, &op)) {
				ld_log("invalidation: PING: %s", err);
				rd_disconnect(c);
				continue;
			}
			pinged = now;
		}
		wake = pinged ? pinged + c->timeout_ms : heard + RD_PING_MS;
		if (!rd_watch_wait(c, wake > now ? (int)(wake - now) : 0))
			continue;
		op = rd_op_start(c, err, sizeof(err));
		ret = rd_reply(c, it, RD_ITEMS_MAX, &n, &op);
		if (ret) {
			ld_log("invalidation: %s", err);
			rd_disconnect(c);
			continue;
		}
		heard = rd_now_ms();
		if (rd_is_pong(it, n))
			pinged = 0;
		else
			rd_notified(it, n);
	}
	rd_disconnect(c);
	return NULL;
}

int ld_redis_watch_start(void *cfg, int timeout_ms, char *err,
			 size_t err_size)
{
	int ret;

	watch.conn.cfg = cfg;
	watch.conn.fd = -1;
	watch.conn.timeout_ms = timeout_ms;
	ret = rd_subscribe(&watch.conn, err, err_size);
	if (ret)
		return ret;
	/* Whatever changed before the subscription went unseen. */
	ret = ld_flush();
	if (ret) {
		snprintf(err, err_size, "flushing the cache: %s",
			 strerror(-ret));
		rd_disconnect(&watch.conn);
		return ret;
	}
	ret = pthread_create(&watch.tid, NULL, rd_watch_run, NULL);
	if (ret) {
		snprintf(err, err_size, "a thread: %s", strerror(ret));
		rd_disconnect(&watch.conn);
		return -ret;
	}
	watch.started = true;
	return 0;
}

void ld_redis_watch_join(void)
{
	if (watch.started)
		pthread_join(watch.tid, NULL);
	watch.started = false;
}
