// SPDX-License-Identifier: GPL-2.0
/*
 * cacheproxy-loaderd: a loader daemon for the cacheproxy module loaded
 * with loader=user. Each thread attaches a channel of its own
 * (CACHEPROXY_IOC_LOADER_ATTACH), reads at most LD_READ_BATCH of the load
 * requests waiting there, asks the backend (loaderd-sqlite.c,
 * loaderd-redis.c, loaderd-static.c) for each key and posts each answer
 * as soon as it has it: a slow key holds up only the few requests read
 * with it, never a whole queue. The protocol is in
 * include/uapi/linux/cacheproxy.h. Usage, the answer given for each
 * outcome and exit codes: see usage_text below (--help).
 *
 * Threads: each worker sleeps in a blocking read of its channel (the
 * module wakes one reader per request). The main thread takes the signals
 * with sigwaitinfo(): SIGUSR1 writes the status file, SIGTERM and SIGINT
 * stop the daemon. Stopping sets a flag, and the main thread then sends
 * SIGUSR2 to every worker still running, again every 100 ms: its handler
 * does nothing, but it is installed without SA_RESTART, so a read asleep
 * fails with EINTR, and the worker, seeing the flag, returns (a worker
 * busy with the requests it read answers them first). The repetition
 * covers a signal that came just before the read went to sleep. SIGUSR2
 * sent to the main thread is a worker's "I am done". The redis watcher
 * and the redis queries poll a pipe that turns readable on stop instead.
 *
 * Test mode (hidden): --fake-channel SOCKET makes every "channel" a
 * connection to the SOCK_SEQPACKET socket SOCKET, for the host test
 * (loaderd-test.c) to play the kernel: each read and write of a channel
 * is a message there, answered with the call's result (loaderd.h, struct
 * ld_fake_op). Each connection first sends "channel", or "control" for
 * the one connection that then carries "invalidate KEY" and "flush"
 * messages instead of the ioctls.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <linux/cacheproxy.h>

#include "client.h"
#include "loaderd.h"

#define LD_STR_(x)	#x
#define LD_STR(x)	LD_STR_(x)

/*
 * A read takes at most this many requests (read_sizes() says how), so a
 * request waits for at most LD_READ_BATCH_BEFORE queries before its own;
 * for the rare race there, LD_READ_RACE_BEFORE. Numbers, for --help.
 */
#define LD_READ_BATCH		4
#define LD_READ_BATCH_BEFORE	3
#define LD_READ_RACE_BEFORE	7
/* --timeout-ms: LD_READ_BATCH of them fit in upcall_timeout_ms (5000). */
#define LD_TIMEOUT_MS_DEF	1000

static const char usage_text[] =
"usage: " LD_PROG " [OPTIONS] BACKEND\n"
"\n"
"Answer the load requests of the cacheproxy module (loaded with\n"
"loader=user) from a database: each thread attaches a channel of its own\n"
"through " CP_DEFAULT_DEVICE ", reads at most " LD_STR(LD_READ_BATCH)
	" of the requests waiting\n"
"there at a time, looks each key up in BACKEND, one after the other, and\n"
"writes each answer back as soon as it has it.\n"
"Runs in the foreground until SIGTERM or SIGINT.\n"
"\n"
"BACKEND:\n"
"  sqlite:PATH        an SQLite database with a table\n"
"                     kv(key TEXT PRIMARY KEY, value BLOB), opened read-only,\n"
"                     one connection per thread; a NULL value is no value\n"
"  redis:HOST:PORT    a redis server (GET key, database 0); HOST a numeric\n"
"                     IPv4 address, [IPv6] or localhost\n"
"  redis:unix:PATH    a redis server on a unix socket\n"
"  static:KEY=VALUE,...  keys held in memory (for tests); in KEY and VALUE\n"
"                     \\, \\= \\\\ \\n and \\xHH escape a comma, an equals sign,\n"
"                     a backslash, a newline and any byte\n"
"\n"
"Answers: the value (any bytes, up to CACHEPROXY_VALUE_MAX = "
	LD_STR(CACHEPROXY_VALUE_MAX) ", or the\n"
"module's value_max if lower);\n"
"ENOENT when the backend has no such key (the cache keeps that for\n"
"neg_ttl_ms); EFBIG when the value is longer than that;\n"
"EIO when the backend failed (a connection, a query, a timeout, a reply\n"
"redis should not send; one line is logged). Neither is cached, and the\n"
"module gives the callers of that load EIO for both. When the backend\n"
"cannot be reached (a redis connect fails), the requests of the same read\n"
"not yet answered get EIO at once, without asking. A lost redis\n"
"connection is made again by the next lookup.\n"
"\n"
"Options:\n"
"  -t, --threads N       threads, each with its own channel and backend\n"
"                        connection (default 1; 1..256)\n"
"  -d, --device PATH     the misc device (default " CP_DEFAULT_DEVICE ")\n"
"      --delay-us N      before each backend query sleep N us, holding one\n"
"                        lock shared by all threads, and query under it:\n"
"                        the database serves one query at a time, as the\n"
"                        Go demo's (default 0: no sleep, no lock;\n"
"                        0..10000000)\n"
"      --timeout-ms N    the longest one query may take: a redis lookup\n"
"                        (connect, send and reply together), an SQLite\n"
"                        write lock (default " LD_STR(LD_TIMEOUT_MS_DEF)
	"; 1..600000). A request\n"
"                        waits for the queries of the requests read before\n"
"                        it (at most " LD_STR(LD_READ_BATCH_BEFORE)
	"; in a rare race after a key longer\n"
"                        than 128 bytes, up to " LD_STR(LD_READ_RACE_BEFORE)
	"), then for its own: keep\n"
"                        " LD_STR(LD_READ_BATCH)
	" x (N + the --delay-us sleep) below the\n"
"                        module's upcall_timeout_ms (default 5000), or its\n"
"                        callers get ETIMEDOUT (with --delay-us, the sleeps\n"
"                        of the other threads add up too)\n"
"  -s, --status FILE     write the counters to FILE (replaced whole: FILE.tmp\n"
"                        renamed) once every thread is attached (the sign\n"
"                        that the daemon serves), on SIGUSR1 and at exit,\n"
"                        as \"name value\" lines: requests (read), answers\n"
"                        (taken by the kernel), values, enoent, errors\n"
"                        (answers of each kind), refused (answers the\n"
"                        kernel refused: their request had timed out),\n"
"                        queries (backend lookups)\n"
"      --invalidate-redis  (redis only) follow the server's keyspace\n"
"                        notifications on one more connection (adding K and\n"
"                        A, every class of event, to notify-keyspace-events)\n"
"                        and invalidate each key that changes; flush the\n"
"                        whole cache once subscribed, at start and after a\n"
"                        lost connection (changes meanwhile went unseen).\n"
"                        After 1 s without a message the server is sent a\n"
"                        PING; no answer within --timeout-ms is a lost\n"
"                        connection. FLUSHALL, FLUSHDB and SWAPDB send no\n"
"                        keyspace event (a known gap): flush the cache\n"
"                        after them (cacheproxy flush)\n"
"  -n, --count N         stop once N requests were read and answered (a\n"
"                        read may bring more, which are answered too)\n"
"      --once            --count 1\n"
"  -h, --help            this text\n"
"\n"
"Stopping: on SIGTERM or SIGINT every thread stops reading, answers what it\n"
"read (a redis query still waiting for the server gives up: EIO), closes\n"
"its channel, and the daemon exits 0. A second SIGTERM or SIGINT exits at\n"
"once with status 1 (the kernel gives the requests read and not answered\n"
"to another daemon, or fails them with ENOTCONN).\n"
"\n"
"Exit status:\n"
"  0  stopped by a signal or --count, every request read was answered\n"
"  1  could not start (device missing, module loaded with\n"
"     loader=synthetic, no CAP_SYS_ADMIN, backend unreachable, status\n"
"     file not writable), or a channel failed while serving (one line\n"
"     says why, naming the errno; it is never left out of the log)\n"
"  2  usage error\n";

enum {
	OPT_DELAY_US = 256,
	OPT_TIMEOUT_MS,
	OPT_INVALIDATE_REDIS,
	OPT_ONCE,
	OPT_FAKE_CHANNEL,
};

static const struct option long_options[] = {
	{ "threads",		required_argument, NULL, 't' },
	{ "device",		required_argument, NULL, 'd' },
	{ "delay-us",		required_argument, NULL, OPT_DELAY_US },
	{ "timeout-ms",		required_argument, NULL, OPT_TIMEOUT_MS },
	{ "status",		required_argument, NULL, 's' },
	{ "invalidate-redis",	no_argument,	   NULL, OPT_INVALIDATE_REDIS },
	{ "count",		required_argument, NULL, 'n' },
	{ "once",		no_argument,	   NULL, OPT_ONCE },
	{ "fake-channel",	required_argument, NULL, OPT_FAKE_CHANNEL },
	{ "help",		no_argument,	   NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

#define LD_THREADS_MAX		256
#define LD_DELAY_US_MAX		10000000
#define LD_TIMEOUT_MS_MAX	600000

/* The shortest request (a header and a 1-byte key, padded). */
#define LD_REQ_MIN		32
#define LD_ALIGN8(x)		(((x) + 7) & ~(size_t)7)
#define LD_ANSWER_MAX		\
	LD_ALIGN8(sizeof(struct cacheproxy_load_answer) + CACHEPROXY_VALUE_MAX)

/* Log lines per second before they are counted instead of printed. */
#define LD_LOG_BURST		10
/*
 * A read the kernel failed for want of memory is tried again after 10 ms,
 * then twice as long each time, up to 1 s.
 */
#define LD_NOMEM_US_MIN		10000
#define LD_NOMEM_US_MAX		1000000

static struct {
	unsigned int threads;
	const char *device;
	unsigned int delay_us;
	unsigned int timeout_ms;
	const char *status;
	bool invalidate_redis;
	uint64_t count;
	const char *fake;
	const char *backend_arg;
} opt = {
	.threads = 1,
	.device = CP_DEFAULT_DEVICE,
	.timeout_ms = LD_TIMEOUT_MS_DEF,
};

static const struct ld_backend_ops *backend;
static void *backend_cfg;

/* Counters, updated with atomics by every thread. */
static struct {
	uint64_t requests, answers, values, enoent, errors, refused, queries;
} ctr;

#define CTR_ADD(field, n) __atomic_add_fetch(&ctr.field, (n), __ATOMIC_RELAXED)
#define CTR_GET(field)	  __atomic_load_n(&ctr.field, __ATOMIC_RELAXED)

/* The longest value answered: ours, or the module's if it takes less. */
static size_t value_max = CACHEPROXY_VALUE_MAX;
static int dev_fd = -1;		/* /dev/cacheproxy (or the fake's control) */
/* The sizes of reads (read_sizes()) and of the buffers of a worker. */
static size_t read_small, read_large, rbuf_size, wbuf_size;
static int stop_pipe[2] = { -1, -1 };
static bool stop_flag;
static bool failed;
static unsigned int live_workers;
static pthread_t main_tid;
static pthread_mutex_t db_lock = PTHREAD_MUTEX_INITIALIZER;

/**
 * struct worker - one thread and its channel
 * @tid:	the thread
 * @done:	it returned (no more SIGUSR2 for it)
 * @ch:		its channel
 * @conn:	its backend connection
 * @rbuf:	requests as read (rbuf_size bytes)
 * @wbuf:	the answers to them (wbuf_size bytes)
 * @fake_read:	--fake-channel: the size of a read whose reply has not come
 *		(0: none)
 */
struct worker {
	pthread_t tid;
	bool done;
	int ch;
	void *conn;
	char *rbuf;
	char *wbuf;
	size_t fake_read;
};

static struct worker *workers;

/* One line "cacheproxy-loaderd: ..." on stderr; returns @status. */
static int vsay(int status, const char *fmt, va_list ap)
{
	fputs(LD_PROG ": ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	return status;
}

/* A usage error: one line, exit status 2. */
__attribute__((format(printf, 1, 2)))
static int usage_error(const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vsay(2, fmt, ap);
	va_end(ap);
	return ret;
}

/* A start-up failure: one line, exit status 1. */
__attribute__((format(printf, 1, 2)))
static int fail(const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vsay(1, fmt, ap);
	va_end(ap);
	return ret;
}

/* The state of the log's rate limit. */
static struct {
	pthread_mutex_t lock;
	unsigned long suppressed;
	time_t second;
	int lines;
} log_state = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* Under log_state.lock: says how many lines were not printed, if any. */
static size_t log_summary(char *buf, size_t size)
{
	size_t len = 0;

	if (log_state.suppressed)
		len = (size_t)snprintf(buf, size,
				       LD_PROG ": %lu more messages were not logged\n",
				       log_state.suppressed);
	log_state.suppressed = 0;
	return len < size ? len : size - 1;
}

/*
 * One line, unless LD_LOG_BURST were printed this second already (then
 * it is only counted); a @fatal line, the reason of an exit status 1, is
 * always printed.
 */
static void ld_vlog(bool fatal, const char *fmt, va_list ap)
{
	char buf[1024];
	size_t len = 0;
	time_t now = time(NULL);

	pthread_mutex_lock(&log_state.lock);
	if (now != log_state.second) {
		len = log_summary(buf, sizeof(buf));
		log_state.second = now;
		log_state.lines = 0;
	}
	if (log_state.lines >= LD_LOG_BURST && !fatal) {
		log_state.suppressed++;
		pthread_mutex_unlock(&log_state.lock);
		return;
	}
	log_state.lines++;
	len += (size_t)snprintf(buf + len, sizeof(buf) - len, LD_PROG ": ");
	if (len < sizeof(buf))
		len += (size_t)vsnprintf(buf + len, sizeof(buf) - len, fmt, ap);
	if (len > sizeof(buf) - 2)
		len = sizeof(buf) - 2;
	buf[len++] = '\n';
	/* One write per message: lines of several threads never mix. */
	if (write(STDERR_FILENO, buf, len) < 0) {
		/* nowhere to say it */
	}
	pthread_mutex_unlock(&log_state.lock);
}

void ld_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ld_vlog(false, fmt, ap);
	va_end(ap);
}

/* A line that explains an exit status 1: never left out. */
__attribute__((format(printf, 1, 2)))
static void ld_log_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ld_vlog(true, fmt, ap);
	va_end(ap);
}

/* At exit: how many lines the rate limit left out, if any. */
static void ld_log_end(void)
{
	char buf[128];
	size_t len;

	pthread_mutex_lock(&log_state.lock);
	len = log_summary(buf, sizeof(buf));
	if (len && write(STDERR_FILENO, buf, len) < 0) {
		/* nowhere to say it */
	}
	pthread_mutex_unlock(&log_state.lock);
}

/* "Cannot allocate memory (ENOMEM)": an errno, said and named. */
static const char *errno_str(int err, char *buf, size_t size)
{
	const char *name = strerrorname_np(err);

	snprintf(buf, size, "%s (%s)", strerror(err), name ? name : "?");
	return buf;
}

const char *ld_key_str(const char *key, size_t len, char *buf, size_t size)
{
	size_t i, o = 0;

	for (i = 0; i < len && o + 5 <= size; i++) {
		unsigned char ch = (unsigned char)key[i];

		if (ch > ' ' && ch < 0x7f && ch != '\\')
			buf[o++] = (char)ch;
		else
			o += (size_t)snprintf(buf + o, size - o, "\\%03o", ch);
	}
	buf[o < size ? o : size - 1] = '\0';
	return buf;
}

bool ld_stopping(void)
{
	return __atomic_load_n(&stop_flag, __ATOMIC_ACQUIRE);
}

int ld_stop_fd(void)
{
	return stop_pipe[0];
}

/*
 * Every thread stops (once): the pipe turns readable for good, and the
 * main thread starts waking the workers (SIGUSR2).
 */
static void ld_stop(void)
{
	char c = 0;

	if (__atomic_exchange_n(&stop_flag, true, __ATOMIC_ACQ_REL))
		return;
	if (write(stop_pipe[1], &c, 1) < 0) {
		/* a pipe of our own with room: cannot fail */
	}
	pthread_kill(main_tid, SIGUSR2);
}

/* A worker cannot go on: the daemon stops and exits 1. */
static void ld_fail(void)
{
	__atomic_store_n(&failed, true, __ATOMIC_RELEASE);
	ld_stop();
}

/* The fake's control messages: "invalidate KEY", "flush". */
static int fake_control(const char *what, const char *key, size_t key_len)
{
	char msg[64 + CACHEPROXY_KEY_MAX];
	size_t len = strlen(what);

	memcpy(msg, what, len);
	if (key) {
		msg[len++] = ' ';
		memcpy(msg + len, key, key_len);
		len += key_len;
	}
	return send(dev_fd, msg, len, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

int ld_invalidate(const char *key, size_t key_len)
{
	if (opt.fake)
		return fake_control("invalidate", key, key_len);
	return cp_dev_invalidate(dev_fd, key, key_len);
}

int ld_flush(void)
{
	if (opt.fake)
		return fake_control("flush", NULL, 0);
	return cp_dev_flush(dev_fd);
}

/* A connection to the fake kernel, introduced as @hello. */
static int fake_connect(const char *hello)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	int fd, err;

	if (strlen(opt.fake) >= sizeof(un.sun_path))
		return -ENAMETOOLONG;
	strcpy(un.sun_path, opt.fake);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&un, sizeof(un)) ||
	    send(fd, hello, strlen(hello), MSG_NOSIGNAL) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/*
 * The sizes of reads for a kernel whose request headers are @hdr bytes.
 * The shortest request, a 1-byte key, takes min bytes, the longest, a key
 * of CACHEPROXY_KEY_MAX bytes, big. A read of read_small bytes, room for
 * LD_READ_BATCH + 1 shortest requests but 8, holds at most LD_READ_BATCH
 * requests and any request of a key up to read_small - @hdr bytes (128
 * with today's header). A longer request fails that read with EINVAL; a
 * read of read_large (at least big) bytes then takes it, and at most
 * LD_READ_BATCH - 1 more: that request has read_small + 8 bytes or more,
 * which leaves room for fewer than LD_READ_BATCH shortest ones as long as
 * big < (2 * LD_READ_BATCH + 1) * min, true for every @hdr from 24 on.
 * Only when another channel took that request between the two reads may
 * the second one bring up to read_large / min short requests (8 today).
 */
static void read_sizes(size_t hdr)
{
	size_t min = LD_ALIGN8(hdr + 1), big = LD_ALIGN8(hdr + CACHEPROXY_KEY_MAX);

	read_small = (LD_READ_BATCH + 1) * min - 8;
	read_large = big > read_small ? big : read_small;
	rbuf_size = read_large > CACHEPROXY_LOAD_REQUEST_MAX ?
		    read_large : CACHEPROXY_LOAD_REQUEST_MAX;
	/* Answers to the most requests a read of rbuf_size bytes holds. */
	wbuf_size = rbuf_size / min * LD_ANSWER_MAX;
}

/* A new channel, or -1 after saying why. */
static int attach(void)
{
	struct cacheproxy_loader_attach a;
	const char *hint = "";
	int fd;

	if (opt.fake) {
		fd = fake_connect("channel");
		if (fd < 0)
			fail("%s: %s", opt.fake, strerror(-fd));
		return fd < 0 ? -1 : fd;
	}
	fd = cp_dev_loader_attach(dev_fd, CACHEPROXY_LOADER_CLOEXEC, &a);
	if (fd >= 0) {
		/* The kernel writes back what it knows of the struct. */
		size_t known = offsetof(typeof(a), value_max) +
			       sizeof(a.value_max);

		if (a.size >= known && a.value_max && a.value_max < value_max)
			value_max = a.value_max;
		if (a.request_size > sizeof(struct cacheproxy_load_request))
			read_sizes(a.request_size);
		return fd;
	}
	switch (-fd) {
	case EOPNOTSUPP:
		hint = " (the module was loaded with loader=synthetic; load it with loader=user)";
		break;
	case EPERM:
		hint = " (needs CAP_SYS_ADMIN)";
		break;
	case ENOTTY:
		hint = " (the module is too old for loader daemons)";
		break;
	}
	fail("%s: attach: %s%s", opt.device, strerror(-fd), hint);
	return -1;
}

/*
 * read(2) of a channel, or its imitation on the fake's connection (see
 * struct ld_fake_op): the same results, errno included.
 */
static ssize_t ch_read(struct worker *w, size_t size)
{
	struct ld_fake_op op = { .op = LD_FAKE_READ, .len = (__s32)size };
	struct iovec iov[2] = {
		{ .iov_base = &op, .iov_len = sizeof(op) },
		{ .iov_base = w->rbuf },
	};
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };
	ssize_t n;

	if (!opt.fake)
		return read(w->ch, w->rbuf, size);
	if (!w->fake_read) {
		if (send(w->ch, &op, sizeof(op), MSG_NOSIGNAL) < 0)
			return errno == EPIPE || errno == ECONNRESET ? 0 : -1;
		w->fake_read = size;
	}
	/* The reply of a read interrupted before is this one's. */
	iov[1].iov_len = w->fake_read;
	n = recvmsg(w->ch, &msg, 0);
	if (n < 0 && errno != ECONNRESET)
		return -1;	/* EINTR: the read stays pending */
	w->fake_read = 0;
	if (n <= 0)
		return 0;	/* the fake closed the channel */
	if ((size_t)n < sizeof(op) || op.len > n - (ssize_t)sizeof(op)) {
		errno = EPROTO;
		return -1;
	}
	if (op.len < 0) {
		errno = -op.len;
		return -1;
	}
	return op.len;
}

/* write(2) of a channel, or its imitation (see ch_read()). */
static ssize_t ch_write(struct worker *w, const char *buf, size_t len)
{
	struct ld_fake_op op = { .op = LD_FAKE_WRITE, .len = (__s32)len };
	struct iovec iov[2] = {
		{ .iov_base = &op, .iov_len = sizeof(op) },
		{ .iov_base = (void *)buf, .iov_len = len },
	};
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };
	ssize_t n;

	if (!opt.fake)
		return write(w->ch, buf, len);
	if (sendmsg(w->ch, &msg, MSG_NOSIGNAL) < 0)
		return -1;
	do {
		n = recv(w->ch, &op, sizeof(op), 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if (n != sizeof(op)) {
		errno = n ? EPROTO : EPIPE;
		return -1;
	}
	if (op.len < 0) {
		errno = -op.len;
		return -1;
	}
	return op.len;
}

static void sleep_us(unsigned int us)
{
	struct timespec ts = {
		.tv_sec = us / 1000000,
		.tv_nsec = (long)(us % 1000000) * 1000,
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/*
 * Asks the backend for one key: 0, -ENOENT, -EFBIG, or -EIO (logged);
 * -ENOTCONN (logged) when the backend could not be reached.
 */
static int query(struct worker *w, const char *key, size_t key_len,
		 char *val, size_t *val_len)
{
	char err[LD_ERR_MAX] = "", kbuf[LD_KEY_STR_MAX];
	int ret;

	*val_len = 0;
	if (opt.delay_us) {
		pthread_mutex_lock(&db_lock);
		sleep_us(opt.delay_us);
	}
	ret = backend->get(w->conn, key, key_len, val, val_len, err,
			   sizeof(err));
	if (opt.delay_us)
		pthread_mutex_unlock(&db_lock);
	CTR_ADD(queries, 1);
	switch (ret) {
	case 0:
		if (*val_len <= value_max)
			return 0;
		ret = -EFBIG;	/* longer than the module takes */
		/* fall through */
	case -EFBIG:
		ld_log("get %s: a value of %zu bytes (at most %zu): answered EFBIG",
		       ld_key_str(key, key_len, kbuf, sizeof(kbuf)), *val_len,
		       value_max);
		*val_len = 0;
		return ret;
	case -ENOENT:
		return ret;
	default:
		ld_log("get %s: %s: answered EIO",
		       ld_key_str(key, key_len, kbuf, sizeof(kbuf)),
		       *err ? err : strerror(-ret));
		*val_len = 0;
		return ret == -ENOTCONN ? ret : -EIO;
	}
}

/* Appends one answer at @w->wbuf + @off; returns its padded length. */
static size_t put_answer(struct worker *w, size_t off, __u64 id, int status,
			 const char *val, size_t val_len)
{
	struct cacheproxy_load_answer a = {
		.size = sizeof(a),
		.id = id,
		.status = status,
		.value_len = (__u32)val_len,
	};
	size_t len = LD_ALIGN8(sizeof(a) + val_len);

	memset(w->wbuf + off, 0, len);
	memcpy(w->wbuf + off, &a, sizeof(a));
	if (val_len)
		memcpy(w->wbuf + off + sizeof(a), val, val_len);
	return len;
}

static size_t answer_len(const char *p, int *status, __u64 *id)
{
	struct cacheproxy_load_answer a;

	memcpy(&a, p, sizeof(a));
	*status = a.status;
	*id = a.id;
	return LD_ALIGN8(a.size + a.value_len);
}

/*
 * Counts the answers in [@p, @p + @len), which the kernel took. Returns
 * false when @len does not end on an answer's end (no kernel does that).
 */
static bool count_taken(const char *p, size_t len)
{
	size_t off = 0;
	int status;
	__u64 id;

	while (off < len) {
		off += answer_len(p + off, &status, &id);
		if (off > len)
			return false;
		CTR_ADD(answers, 1);
		if (!status)
			CTR_ADD(values, 1);
		else if (status == -ENOENT)
			CTR_ADD(enoent, 1);
		else
			CTR_ADD(errors, 1);
	}
	return true;
}

/*
 * Writes the @len bytes of answers in @w->wbuf, in as few writes as the
 * kernel allows: a write returns the bytes of the answers taken before
 * the one it refused, and a write whose first answer is refused fails;
 * such an answer (its request timed out meanwhile) is skipped and the
 * rest written again. Returns 0, or -1 when the channel failed (said in a
 * line that is always printed).
 */
static int post(struct worker *w, size_t len)
{
	unsigned int tries = 0;
	size_t off = 0, skip;
	char ebuf[64];
	ssize_t n;
	int status;
	__u64 id;

	while (off < len) {
		n = ch_write(w, w->wbuf + off, len - off);
		if (n > 0) {
			if ((size_t)n > len - off ||
			    !count_taken(w->wbuf + off, (size_t)n)) {
				ld_log_fatal("channel: write: %zd of %zu bytes taken, not whole answers",
					     n, len - off);
				return -1;
			}
			off += (size_t)n;
			tries = 0;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ENOMEM && ++tries < 10) {
			sleep_us(10000);
			continue;
		}
		skip = answer_len(w->wbuf + off, &status, &id);
		if (n < 0 && (errno == ESTALE || errno == EINVAL ||
			      errno == E2BIG || errno == ENOMEM)) {
			/*
			 * ESTALE (EINVAL from older modules): the request is
			 * no longer ours, most likely it timed out.
			 */
			ld_log("answer to request %llu refused: %s%s",
			       (unsigned long long)id, strerror(errno),
			       errno == ESTALE || errno == EINVAL ?
			       " (timed out? see upcall_timeout_ms)" : "");
			CTR_ADD(refused, 1);
			off += skip;
			tries = 0;
			continue;
		}
		ld_log_fatal("channel: write: %s", n < 0 ?
			     errno_str(errno, ebuf, sizeof(ebuf)) :
			     "nothing written");
		return -1;
	}
	return 0;
}

/*
 * Answers the @n bytes of requests just read, each as soon as the backend
 * answered it: no answer waits for another query. Once the backend could
 * not be reached, the requests left get EIO at once, in one write. A
 * malformed record (which the kernel never sends) ends the parse: the
 * requests after it are not answered and time out in the kernel. Returns
 * 0, or -1 when the channel failed.
 */
static int serve(struct worker *w, size_t n)
{
	struct cacheproxy_load_request h;
	char val[CACHEPROXY_VALUE_MAX];
	size_t off = 0, wlen = 0, val_len, len;
	unsigned int unasked = 0;
	bool down = false;
	const char *key;
	int status;

	while (off < n) {
		if (n - off < sizeof(h)) {
			ld_log("channel: a request cut short");
			break;
		}
		memcpy(&h, w->rbuf + off, sizeof(h));
		if (h.size < sizeof(h) || h.size > n - off || !h.key_len ||
		    h.key_len > CACHEPROXY_KEY_MAX ||
		    h.key_len > n - off - h.size) {
			ld_log("channel: a malformed request (size %u, key_len %u)",
			       h.size, h.key_len);
			break;
		}
		CTR_ADD(requests, 1);
		/* A longer header than ours: the key starts after all of it. */
		key = w->rbuf + off + h.size;
		off += LD_ALIGN8((size_t)h.size + h.key_len);
		if (down) {
			wlen += put_answer(w, wlen, h.id, -EIO, NULL, 0);
			unasked++;
			continue;
		}
		status = query(w, key, h.key_len, val, &val_len);
		if (status == -ENOTCONN) {
			/* This one and the rest: one write, below. */
			down = true;
			status = -EIO;
		}
		len = put_answer(w, 0, h.id, status, val, val_len);
		if (!down && post(w, len))
			return -1;
		wlen = down ? len : 0;
	}
	if (unasked)
		ld_log("%u more request%s of the same read answered EIO without asking (the backend is unreachable)",
		       unasked, unasked == 1 ? "" : "s");
	return wlen ? post(w, wlen) : 0;
}

static void worker_run_wake(int sig)
{
	(void)sig;	/* only there to make a blocking read fail EINTR */
}

/*
 * Reads at most LD_READ_BATCH requests (see read_sizes()): a read too
 * small for the oldest request fails EINVAL, and the next size is tried.
 */
static ssize_t read_requests(struct worker *w)
{
	const size_t sizes[] = {
		read_small, read_large, CACHEPROXY_LOAD_REQUEST_MAX,
	};
	size_t i, last = 0;
	ssize_t n = -1;

	if (w->fake_read) {	/* a read interrupted: its reply first */
		last = w->fake_read;
		n = ch_read(w, last);
		if (n >= 0 || errno != EINVAL)
			return n;
	}
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		if (sizes[i] <= last)
			continue;
		last = sizes[i];
		n = ch_read(w, sizes[i]);
		if (n >= 0 || errno != EINVAL)
			break;
	}
	return n;
}

/* Sleeps @us, or less when the daemon stops meanwhile. */
static void sleep_unless_stopping(unsigned int us)
{
	struct pollfd p = { .fd = ld_stop_fd(), .events = POLLIN };

	if (poll(&p, 1, (int)(us / 1000)) < 0 && errno != EINTR)
		sleep_us(us);
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	unsigned int nomem_us = 0;
	char ebuf[64];
	sigset_t wake;
	ssize_t n;

	sigemptyset(&wake);
	sigaddset(&wake, SIGUSR2);
	pthread_sigmask(SIG_UNBLOCK, &wake, NULL);
	while (!ld_stopping()) {
		n = read_requests(w);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;	/* woken: maybe to stop */
		if (n < 0 && errno == ENOMEM) {
			/* The kernel is short of memory: it may not stay. */
			nomem_us = nomem_us ? nomem_us * 2 : LD_NOMEM_US_MIN;
			if (nomem_us > LD_NOMEM_US_MAX)
				nomem_us = LD_NOMEM_US_MAX;
			ld_log("channel: read: %s: trying again in %u ms",
			       errno_str(ENOMEM, ebuf, sizeof(ebuf)),
			       nomem_us / 1000);
			sleep_unless_stopping(nomem_us);
			continue;
		}
		nomem_us = 0;
		if (n <= 0) {
			ld_log_fatal("channel: read: %s",
				     !n ? "the channel was closed" :
				     errno == ESHUTDOWN ?
				     "the module is unloading (ESHUTDOWN)" :
				     errno_str(errno, ebuf, sizeof(ebuf)));
			ld_fail();
			break;
		}
		if (serve(w, (size_t)n)) {
			ld_fail();
			break;
		}
		if (opt.count && CTR_GET(requests) >= opt.count)
			ld_stop();
	}
	close(w->ch);
	w->ch = -1;
	__atomic_store_n(&w->done, true, __ATOMIC_RELEASE);
	__atomic_sub_fetch(&live_workers, 1, __ATOMIC_ACQ_REL);
	pthread_kill(main_tid, SIGUSR2);
	return NULL;
}

/* A line of write_status(): @fatal when it explains an exit status 1. */
__attribute__((format(printf, 2, 3)))
static void status_log(bool fatal, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ld_vlog(fatal, fmt, ap);
	va_end(ap);
}

/*
 * The counters to @opt.status (replaced whole). 0, or -1 after a line,
 * which is never left out when @fatal (the daemon then exits 1).
 */
static int write_status(bool fatal)
{
	char tmp[4096], buf[512];
	int fd, len;
	bool ok;

	if (!opt.status)
		return 0;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", opt.status) >=
	    sizeof(tmp)) {
		status_log(fatal, "%s: %s", opt.status, strerror(ENAMETOOLONG));
		return -1;
	}
	len = snprintf(buf, sizeof(buf),
		       "requests %llu\nanswers %llu\nvalues %llu\nenoent %llu\n"
		       "errors %llu\nrefused %llu\nqueries %llu\n",
		       (unsigned long long)CTR_GET(requests),
		       (unsigned long long)CTR_GET(answers),
		       (unsigned long long)CTR_GET(values),
		       (unsigned long long)CTR_GET(enoent),
		       (unsigned long long)CTR_GET(errors),
		       (unsigned long long)CTR_GET(refused),
		       (unsigned long long)CTR_GET(queries));
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		status_log(fatal, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	ok = write(fd, buf, (size_t)len) == len;
	if (!ok)
		status_log(fatal, "%s: %s", tmp, strerror(errno));
	if (close(fd) && ok) {
		status_log(fatal, "%s: %s", tmp, strerror(errno));
		ok = false;
	}
	if (ok && rename(tmp, opt.status)) {
		status_log(fatal, "%s: %s", opt.status, strerror(errno));
		ok = false;
	}
	if (!ok)
		unlink(tmp);
	return ok ? 0 : -1;
}

/* A decimal integer in [min, max], nothing else. */
static int parse_num(const char *name, const char *s, uint64_t min,
		     uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (*s < '0' || *s > '9' || *end)
		return usage_error("%s: '%s' is not a number", name, s);
	if (errno == ERANGE || v < min || v > max)
		return usage_error("%s: '%s' is out of range (%llu..%llu)",
				   name, s, (unsigned long long)min,
				   (unsigned long long)max);
	*out = v;
	return 0;
}

static int parse_options(int argc, char **argv)
{
	static const struct ld_backend_ops *const all[] = {
		&ld_sqlite_ops, &ld_redis_ops, &ld_static_ops,
	};
	char err[LD_ERR_MAX];
	const char *arg;
	uint64_t v;
	size_t i, len;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":t:d:s:n:h", long_options,
				NULL)) != -1) {
		switch (c) {
		case 't':
			if (parse_num("--threads", optarg, 1, LD_THREADS_MAX,
				      &v))
				return 2;
			opt.threads = (unsigned int)v;
			break;
		case 'd':
			opt.device = optarg;
			break;
		case OPT_DELAY_US:
			if (parse_num("--delay-us", optarg, 0, LD_DELAY_US_MAX,
				      &v))
				return 2;
			opt.delay_us = (unsigned int)v;
			break;
		case OPT_TIMEOUT_MS:
			if (parse_num("--timeout-ms", optarg, 1,
				      LD_TIMEOUT_MS_MAX, &v))
				return 2;
			opt.timeout_ms = (unsigned int)v;
			break;
		case 's':
			if (!*optarg)
				return usage_error("--status: an empty FILE");
			opt.status = optarg;
			break;
		case OPT_INVALIDATE_REDIS:
			opt.invalidate_redis = true;
			break;
		case 'n':
			if (parse_num("--count", optarg, 1, UINT64_MAX / 2,
				      &opt.count))
				return 2;
			break;
		case OPT_ONCE:
			opt.count = 1;
			break;
		case OPT_FAKE_CHANNEL:
			opt.fake = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 1;
		case ':':
			return usage_error("option '%s' needs a value",
					   argv[optind - 1]);
		default:
			return usage_error("unknown option '%s'",
					   argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return usage_error("no BACKEND (sqlite:PATH, redis:HOST:PORT, redis:unix:PATH, static:KEY=VALUE,...; see --help)");
	if (optind + 1 < argc)
		return usage_error("one BACKEND only ('%s' is one too many)",
				   argv[optind + 1]);
	arg = argv[optind];
	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		len = strlen(all[i]->name);
		if (!strncmp(arg, all[i]->name, len) && arg[len] == ':') {
			backend = all[i];
			break;
		}
	}
	if (!backend)
		return usage_error("unknown BACKEND '%s' (sqlite:PATH, redis:HOST:PORT, redis:unix:PATH, static:KEY=VALUE,...)",
				   arg);
	if (backend->parse(arg + len + 1, &backend_cfg, err, sizeof(err)))
		return usage_error("%s", err);
	if (opt.invalidate_redis && backend != &ld_redis_ops)
		return usage_error("--invalidate-redis needs a redis BACKEND");
	opt.backend_arg = arg;
	return 0;
}

/* Opens the device (or the fake's control connection). 0 or 1. */
static int open_device(void)
{
	if (opt.fake) {
		dev_fd = fake_connect("control");
		if (dev_fd < 0)
			return fail("%s: %s", opt.fake, strerror(-dev_fd));
		return 0;
	}
	dev_fd = cp_open(opt.device);
	if (dev_fd >= 0)
		return 0;
	return fail("%s: %s%s", opt.device, strerror(-dev_fd),
		    dev_fd == -ENOENT ? " (is the cacheproxy module loaded?)" :
		    dev_fd == -EACCES ? " (needs root)" : "");
}

/*
 * Takes the signals until every worker of the @started returned; once
 * stopping, wakes the workers every 100 ms. Returns the exit status.
 */
static int signal_loop(unsigned int started)
{
	const struct timespec tick = { .tv_nsec = 100 * 1000 * 1000 };
	unsigned int i;
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	while (__atomic_load_n(&live_workers, __ATOMIC_ACQUIRE)) {
		if (!ld_stopping()) {
			sig = sigwaitinfo(&set, NULL);
		} else {
			for (i = 0; i < started; i++)
				if (!__atomic_load_n(&workers[i].done,
						     __ATOMIC_ACQUIRE))
					pthread_kill(workers[i].tid, SIGUSR2);
			sig = sigtimedwait(&set, NULL, &tick);
		}
		if (sig == SIGUSR1) {
			write_status(false);
		} else if (sig == SIGTERM || sig == SIGINT) {
			if (ld_stopping()) {
				ld_log_fatal("a second %s: exiting at once",
					     sig == SIGTERM ? "SIGTERM" : "SIGINT");
				write_status(false);
				ld_log_end();
				_exit(1);
			}
			ld_stop();
		}
	}
	return __atomic_load_n(&failed, __ATOMIC_ACQUIRE) ? 1 : 0;
}

int main(int argc, char **argv)
{
	char err[LD_ERR_MAX];
	unsigned int i, started = 0;
	struct sigaction wake;
	sigset_t set;
	int ret;

	ret = parse_options(argc, argv);
	if (ret)
		return ret == 1 ? 0 : ret;	/* 1: --help */

	/* Every thread inherits this mask: only sigwaitinfo() takes them. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&wake.sa_mask);
	wake.sa_handler = worker_run_wake;
	wake.sa_flags = 0;	/* no SA_RESTART: a read fails EINTR */
	sigaction(SIGUSR2, &wake, NULL);
	main_tid = pthread_self();
	if (pipe2(stop_pipe, O_CLOEXEC | O_NONBLOCK))
		return fail("pipe: %s", strerror(errno));

	workers = calloc(opt.threads, sizeof(*workers));
	if (!workers)
		return fail("%s", strerror(ENOMEM));
	for (i = 0; i < opt.threads; i++) {
		struct worker *w = &workers[i];

		w->ch = -1;
		if (backend->open(backend_cfg, (int)opt.timeout_ms, &w->conn,
				  err, sizeof(err)))
			return fail("%s: %s", opt.backend_arg, err);
	}
	if (open_device())
		return 1;
	read_sizes(sizeof(struct cacheproxy_load_request));
	for (i = 0; i < opt.threads; i++) {
		workers[i].ch = attach();
		if (workers[i].ch < 0)
			return 1;
	}
	/* The sizes are the kernel's now (attach()). */
	for (i = 0; i < opt.threads; i++) {
		workers[i].rbuf = malloc(rbuf_size);
		workers[i].wbuf = malloc(wbuf_size);
		if (!workers[i].rbuf || !workers[i].wbuf)
			return fail("%s", strerror(ENOMEM));
	}
	if (opt.invalidate_redis &&
	    ld_redis_watch_start(backend_cfg, (int)opt.timeout_ms, err,
				 sizeof(err)))
		return fail("%s: --invalidate-redis: %s", opt.backend_arg,
			    err);
	if (write_status(true))
		return 1;
	live_workers = opt.threads;
	for (i = 0; i < opt.threads; i++) {
		ret = pthread_create(&workers[i].tid, NULL, worker_run,
				     &workers[i]);
		if (ret) {
			ld_log_fatal("a thread: %s", strerror(ret));
			__atomic_sub_fetch(&live_workers, opt.threads - i,
					   __ATOMIC_ACQ_REL);
			ld_fail();
			break;
		}
		started++;
	}
	ret = started ? signal_loop(started) : 1;
	for (i = 0; i < started; i++)
		pthread_join(workers[i].tid, NULL);
	ld_stop();
	ld_redis_watch_join();
	for (i = 0; i < opt.threads; i++) {
		if (workers[i].ch >= 0)
			close(workers[i].ch);
		backend->close(workers[i].conn);
		free(workers[i].rbuf);
		free(workers[i].wbuf);
	}
	free(workers);
	close(dev_fd);
	if (write_status(true))
		ret = 1;
	ld_log_end();
	return ret;
}
