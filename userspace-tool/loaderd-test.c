// SPDX-License-Identifier: GPL-2.0
/*
 * Host test of cacheproxy-loaderd, no module needed: the test plays the
 * kernel through the daemon's hidden --fake-channel (a SOCK_SEQPACKET
 * socket on which each read and write of a channel is a message, answered
 * with the call's result: loaderd.h), queues load requests as the module
 * formats them, hands out as many as fit in each read as the module does
 * (EINVAL when the oldest does not fit), checks every answer as the module
 * would (padding included) and can answer a write or a read with a chosen
 * result (a short write, ESTALE, ENOMEM, ...). It checks the status file,
 * the exit codes and the stop on SIGTERM. Backends: static, SQLite (the
 * databases are made here), a scripted hostile redis of its own (a giant
 * bulk length, a reply trickling in, garbage, silence, a PING never
 * answered), and a real redis when redis-server is on PATH (a private
 * server on a unix socket and a loopback port; else those checks are
 * skipped).
 *
 * Usage: loaderd-test [DAEMON]  (default: cacheproxy-loaderd beside it)
 * Output: one line per check, "ok N - ..." or "not ok N - ...", then
 * "N passed, N failed". Exit status: 0 all passed, 1 a check failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include <linux/cacheproxy.h>

#include "loaderd.h"

#define MAX_CH		4
#define ALIGN8(x)	(((x) + 7) & ~(size_t)7)
/* The fake kernel's queue and logs, per channel. */
#define MAX_UNITS	64
#define MAX_TAKEN	64
#define MAX_WLOG	32
#define MAX_SCRIPT	8
/* A scripted write result: take everything (as the kernel does). */
#define W_ALL		(1 << 30)
/* One byte more than a value may have: answered EFBIG. */
#define BIG_LEN		(CACHEPROXY_VALUE_MAX + 1)

static const char *daemon_path;
static char dir[64];
static int passed, failed_checks, skipped;

__attribute__((format(printf, 2, 3)))
static bool check(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s %d - ", ok ? "ok" : "not ok", passed + failed_checks + 1);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (ok)
		passed++;
	else
		failed_checks++;
	return ok;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void msleep(int ms)
{
	usleep((useconds_t)ms * 1000);
}

/* The whole of a small file, NUL-terminated ("" when missing). */
static char *slurp(const char *path)
{
	static char buf[65536];
	int fd = open(path, O_RDONLY);
	ssize_t n = 0;

	buf[0] = '\0';
	if (fd < 0)
		return buf;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/* One answer as received. */
struct ans {
	uint64_t id;
	int status;
	size_t len;
	char val[CACHEPROXY_VALUE_MAX + 1];
	long long ms;		/* when it was taken */
	int write;		/* the number of the write that carried it */
};

/*
 * The fake kernel's side of one channel: the requests waiting (whole
 * records, handed out as many as fit per read, or raw blobs handed out
 * alone), the read waiting for them, the results scripted for the next
 * reads and writes, the answers taken, and what was seen.
 */
struct fch {
	int fd;			/* -1: closed */
	char q[16384];
	size_t qlen;
	size_t unit[MAX_UNITS];	/* the lengths of the queued units */
	bool raw[MAX_UNITS];
	int nunits;
	size_t read_size;	/* a read waiting (0: none) */
	int rscript[MAX_SCRIPT], nrscript;	/* -errno for the next reads */
	int wscript[MAX_SCRIPT], nwscript;	/* bytes, -errno or W_ALL */
	struct ans taken[MAX_TAKEN];
	int ntaken;
	int reads;		/* reads that got requests */
	int einval_reads;	/* reads failed EINVAL: too small */
	int max_per_read;	/* the most requests one read got */
	int writes;
	uint64_t wids[MAX_WLOG][8];	/* each write's ids, as sent */
	int wn[MAX_WLOG];
	int padded;		/* answers whose zero padding was checked */
	bool malformed;		/* an answer the kernel would refuse */
};

/* A daemon under test and the fake kernel it talks to. */
struct fake {
	int lfd;
	char sock[108];
	struct fch ch[MAX_CH];
	int nch;
	int ctl;
	pid_t pid;
	char status[128];
	char err[128];
	int exit_status;	/* -1 while it runs */
};

static int fake_count;

static void fake_reply(struct fch *c, int len, const void *data)
{
	struct ld_fake_op op = { .op = LD_FAKE_READ, .len = len };
	struct iovec iov[2] = {
		{ .iov_base = &op, .iov_len = sizeof(op) },
		{ .iov_base = (void *)data, .iov_len = len > 0 ? len : 0 },
	};
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };

	if (sendmsg(c->fd, &msg, MSG_NOSIGNAL) < 0 && errno != EPIPE &&
	    errno != ECONNRESET) {
		perror("fake: sendmsg");
		exit(1);
	}
}

/* Answers the waiting read, if any and if there is something for it. */
static void fake_serve(struct fch *c)
{
	size_t len = 0;
	int i, n = 0;

	if (!c->read_size || c->fd < 0)
		return;
	if (c->nrscript) {
		fake_reply(c, c->rscript[0], NULL);
		memmove(c->rscript, c->rscript + 1,
			--c->nrscript * sizeof(c->rscript[0]));
		c->read_size = 0;
		return;
	}
	if (!c->nunits)
		return;
	if (c->raw[0]) {
		len = c->unit[0];
		n = 1;
	} else {
		while (n < c->nunits && !c->raw[n] &&
		       len + c->unit[n] <= c->read_size)
			len += c->unit[n++];
		if (!n) {	/* the oldest does not fit: EINVAL */
			c->einval_reads++;
			fake_reply(c, -EINVAL, NULL);
			c->read_size = 0;
			return;
		}
		c->reads++;
		if (n > c->max_per_read)
			c->max_per_read = n;
	}
	fake_reply(c, (int)len, c->q);
	memmove(c->q, c->q + len, c->qlen - len);
	c->qlen -= len;
	for (i = n; i < c->nunits; i++) {
		c->unit[i - n] = c->unit[i];
		c->raw[i - n] = c->raw[i];
	}
	c->nunits -= n;
	c->read_size = 0;
}

/*
 * Checks the answers written, as the kernel does; returns the bytes of the
 * well-formed ones before the first that is not (c->malformed set then).
 */
static size_t fake_check(struct fch *c, const char *p, size_t len)
{
	size_t off = 0, end, i;

	while (off < len) {
		struct cacheproxy_load_answer h;

		if (len - off < sizeof(h))
			break;
		memcpy(&h, p + off, sizeof(h));
		if (h.size != sizeof(h) || h.flags ||
		    h.value_len > CACHEPROXY_VALUE_MAX ||
		    (h.status && h.value_len) || h.status > 0 ||
		    h.status < -4095)
			break;
		end = off + h.size + h.value_len;
		if (ALIGN8(end) > len)
			break;
		for (i = end; i < ALIGN8(end); i++)
			if (p[i])
				break;
		if (i < ALIGN8(end))
			break;
		if (end != ALIGN8(end))
			c->padded++;
		off = ALIGN8(end);
	}
	if (off < len)
		c->malformed = true;
	return off;
}

/* A write of the daemon: checked, answered as scripted, logged. */
static void fake_write(struct fch *c, const char *p, size_t len)
{
	size_t good = fake_check(c, p, len), off = 0;
	long long t = now_ms();
	int res, w = c->writes++;
	struct ld_fake_op op = { .op = LD_FAKE_WRITE };

	res = good ? (int)good : -EINVAL;
	if (c->nwscript) {
		res = c->wscript[0];
		memmove(c->wscript, c->wscript + 1,
			--c->nwscript * sizeof(c->wscript[0]));
		if (res == W_ALL || res > (int)good)
			res = good ? (int)good : -EINVAL;
	}
	if (w < MAX_WLOG)
		c->wn[w] = 0;
	while (off < good) {
		struct cacheproxy_load_answer h;

		memcpy(&h, p + off, sizeof(h));
		if (w < MAX_WLOG && c->wn[w] < 8)
			c->wids[w][c->wn[w]++] = h.id;
		if (res > 0 && off < (size_t)res && c->ntaken < MAX_TAKEN) {
			struct ans *a = &c->taken[c->ntaken++];

			a->id = h.id;
			a->status = h.status;
			a->len = h.value_len;
			memcpy(a->val, p + off + h.size, h.value_len);
			a->val[h.value_len] = '\0';
			a->ms = t;
			a->write = w;
		}
		off += ALIGN8(h.size + h.value_len);
	}
	op.len = res;
	if (send(c->fd, &op, sizeof(op), MSG_NOSIGNAL) < 0 &&
	    errno != EPIPE && errno != ECONNRESET) {
		perror("fake: send");
		exit(1);
	}
}

/*
 * Takes one message of the daemon on channel @c, waiting up to @ms:
 * 1 when one was handled, 0 when none came, -1 when the channel closed.
 */
static int fake_pump(struct fake *f, int c, int ms)
{
	static char buf[sizeof(struct ld_fake_op) + 65536];
	struct fch *ch = &f->ch[c];
	struct pollfd p = { .fd = ch->fd, .events = POLLIN };
	struct ld_fake_op op;
	ssize_t n;

	if (ch->fd < 0 || poll(&p, 1, ms) <= 0)
		return 0;
	n = recv(ch->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n <= 0) {
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		close(ch->fd);
		ch->fd = -1;
		return -1;
	}
	if ((size_t)n < sizeof(op)) {
		ch->malformed = true;
		return 1;
	}
	memcpy(&op, buf, sizeof(op));
	if (op.op == LD_FAKE_READ && op.len > 0) {
		ch->read_size = (size_t)op.len;
		fake_serve(ch);
	} else if (op.op == LD_FAKE_WRITE &&
		   (size_t)op.len == (size_t)n - sizeof(op)) {
		fake_write(ch, buf + sizeof(op), (size_t)op.len);
	} else {
		ch->malformed = true;
	}
	return 1;
}

/* Handles whatever the daemon sent on any channel, without waiting. */
static void fake_pump_all(struct fake *f)
{
	int c;

	for (c = 0; c < f->nch; c++)
		while (fake_pump(f, c, 0) > 0)
			;
}

/* Queues @len bytes on channel @c: a request record, or a @raw blob. */
static void fake_queue(struct fake *f, int c, const void *p, size_t len,
		       bool raw)
{
	struct fch *ch = &f->ch[c];

	if (ch->nunits == MAX_UNITS || ch->qlen + len > sizeof(ch->q)) {
		fprintf(stderr, "fake: the queue is full\n");
		exit(1);
	}
	memcpy(ch->q + ch->qlen, p, len);
	ch->qlen += len;
	ch->unit[ch->nunits] = len;
	ch->raw[ch->nunits++] = raw;
}

/* The results of the next writes (bytes taken, -errno, W_ALL) on @c. */
static void fake_script_writes(struct fake *f, int c, const int *res, int n)
{
	memcpy(f->ch[c].wscript, res, (size_t)n * sizeof(*res));
	f->ch[c].nwscript = n;
}

/*
 * Starts the daemon with @threads threads and @args (NULL-terminated:
 * options then BACKEND) and accepts its connections. Returns 0 once it
 * wrote its status file (all attached), or -1 when it exited (status in
 * f->exit_status).
 */
static int fake_start(struct fake *f, int threads, const char *const *args)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	const char *argv[32];
	char tbuf[16];
	long long end = now_ms() + 10000;
	int i, n = 0, st;

	memset(f, 0, sizeof(*f));
	f->ctl = -1;
	f->exit_status = -1;
	fake_count++;
	snprintf(f->sock, sizeof(f->sock), "%s/fake%d.sock", dir, fake_count);
	snprintf(f->status, sizeof(f->status), "%s/status%d", dir, fake_count);
	snprintf(f->err, sizeof(f->err), "%s/err%d", dir, fake_count);
	strcpy(un.sun_path, f->sock);
	f->lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (f->lfd < 0 || bind(f->lfd, (struct sockaddr *)&un, sizeof(un)) ||
	    listen(f->lfd, 16)) {
		perror("fake socket");
		exit(1);
	}
	snprintf(tbuf, sizeof(tbuf), "%d", threads);
	argv[n++] = daemon_path;
	argv[n++] = "--fake-channel";
	argv[n++] = f->sock;
	argv[n++] = "--threads";
	argv[n++] = tbuf;
	argv[n++] = "--status";
	argv[n++] = f->status;
	for (i = 0; args[i]; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	f->pid = fork();
	if (!f->pid) {
		int fd = open(f->err, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(fd, STDERR_FILENO);
		execv(daemon_path, (char *const *)argv);
		_exit(127);
	}
	while (f->nch < threads || f->ctl < 0 || access(f->status, F_OK)) {
		struct pollfd p = { .fd = f->lfd, .events = POLLIN };
		char hello[16] = "";
		int fd;

		if (waitpid(f->pid, &st, WNOHANG) == f->pid) {
			f->exit_status = WIFEXITED(st) ? WEXITSTATUS(st) :
							 128 + WTERMSIG(st);
			return -1;
		}
		if (now_ms() > end) {
			fprintf(stderr, "the daemon did not attach in time\n");
			kill(f->pid, SIGKILL);
			exit(1);
		}
		if (poll(&p, 1, 20) <= 0)
			continue;
		fd = accept4(f->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0 || recv(fd, hello, sizeof(hello) - 1, 0) < 0) {
			perror("accept");
			exit(1);
		}
		if (!strcmp(hello, "control")) {
			f->ctl = fd;
		} else if (!strcmp(hello, "channel") && f->nch < MAX_CH) {
			f->ch[f->nch].fd = fd;
			f->nch++;
		} else {
			close(fd);
		}
	}
	return 0;
}

/*
 * Waits up to @ms for the daemon's exit, playing the kernel meanwhile;
 * its status, or -1.
 */
static int fake_wait(struct fake *f, int ms)
{
	long long end = now_ms() + ms;
	int st;

	while (f->exit_status < 0) {
		if (waitpid(f->pid, &st, WNOHANG) == f->pid) {
			f->exit_status = WIFEXITED(st) ? WEXITSTATUS(st) :
							 128 + WTERMSIG(st);
			break;
		}
		if (now_ms() > end)
			return -1;
		fake_pump_all(f);
		msleep(5);
	}
	return f->exit_status;
}

static void fake_end(struct fake *f)
{
	const char *err;
	int i;

	if (f->exit_status < 0) {
		kill(f->pid, SIGKILL);
		fake_wait(f, 5000);
	}
	/* Where the daemon was built with a sanitizer: no report. */
	err = slurp(f->err);
	if (strstr(err, "Sanitizer") || strstr(err, "runtime error:")) {
		check(false, "a sanitizer report (daemon %d)", fake_count);
		printf("%s", err);
	}
	for (i = 0; i < f->nch; i++) {
		if (f->ch[i].malformed)
			check(false, "daemon %d wrote an answer the kernel refuses as malformed (channel %d)",
			      fake_count, i);
		if (f->ch[i].fd >= 0)
			close(f->ch[i].fd);
	}
	if (f->ctl >= 0)
		close(f->ctl);
	close(f->lfd);
	unlink(f->sock);
}

/* One request to send. */
struct req {
	uint64_t id;
	const char *key;
	unsigned int extra;	/* header bytes beyond ours (a newer kernel) */
};

#define R(i, k)		{ .id = (i), .key = (k) }

/*
 * Queues @n requests on channel @c, together: a read takes as many as
 * fit, as the kernel's does.
 */
static void send_reqs(struct fake *f, int c, const struct req *r, int n)
{
	char buf[1024];
	int i;

	for (i = 0; i < n; i++) {
		struct cacheproxy_load_request h = {
			.size = (__u32)(sizeof(h) + r[i].extra),
			.id = r[i].id,
			.key_len = (__u32)strlen(r[i].key),
		};
		size_t len = ALIGN8(h.size + h.key_len);

		memset(buf, 0, len);
		memcpy(buf, &h, sizeof(h));
		memset(buf + sizeof(h), 0xee, r[i].extra);
		memcpy(buf + h.size, r[i].key, h.key_len);
		fake_queue(f, c, buf, len, false);
	}
	fake_pump_all(f);
	fake_serve(&f->ch[c]);
}

/* Queues @len bytes that one read returns whole, malformed or not. */
static void send_raw(struct fake *f, int c, const void *p, size_t len)
{
	fake_queue(f, c, p, len, true);
	fake_pump_all(f);
	fake_serve(&f->ch[c]);
}

/*
 * Plays the kernel on channel @c until @want answers were taken there or
 * @ms passed; moves them to @a. Returns how many (-2 when the daemon wrote
 * an answer the kernel refuses as malformed).
 */
static int recv_answers(struct fake *f, int c, struct ans *a, int want,
			int ms)
{
	struct fch *ch = &f->ch[c];
	long long end = now_ms() + ms;
	int n;

	while (ch->ntaken < want && !ch->malformed && now_ms() < end) {
		if (fake_pump(f, c, (int)(end - now_ms())) < 0)
			break;
	}
	if (ch->malformed)
		return -2;
	n = ch->ntaken < want ? ch->ntaken : want;
	memcpy(a, ch->taken, (size_t)n * sizeof(*a));
	memmove(ch->taken, ch->taken + n, (size_t)(ch->ntaken - n) *
		sizeof(*a));
	ch->ntaken -= n;
	return n;
}

/* Whether @a answers @id with @status and, for 0, the value @val/@len. */
static bool answer_is(const struct ans *a, uint64_t id, int status,
		      const char *val, size_t len)
{
	if (a->id != id || a->status != status)
		return false;
	if (status)
		return a->len == 0;
	return a->len == len && !memcmp(a->val, val, len);
}

/* A counter of the status file; -1 when missing. */
static long long status_get(const char *path, const char *name)
{
	char *s = slurp(path), *p = s;
	size_t len = strlen(name);

	while ((p = strstr(p, name))) {
		if ((p == s || p[-1] == '\n') && p[len] == ' ')
			return atoll(p + len + 1);
		p += len;
	}
	return -1;
}

/* Sends SIGUSR1 until the counter @name is @want (up to 5 s). */
static bool status_until(struct fake *f, const char *name, long long want)
{
	long long end = now_ms() + 5000;

	do {
		kill(f->pid, SIGUSR1);
		msleep(20);
		if (status_get(f->status, name) == want)
			return true;
	} while (now_ms() < end);
	return false;
}

/* Waits up to @ms for a control message; returns its length or -1. */
static ssize_t recv_control(struct fake *f, char *buf, size_t size, int ms)
{
	struct pollfd p = { .fd = f->ctl, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, ms) <= 0)
		return -1;
	n = recv(f->ctl, buf, size - 1, MSG_DONTWAIT);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

/* Runs the daemon to its end: exit status; its stderr in @err. */
static int run(const char *const *args, char *err, size_t size)
{
	char path[128];
	const char *argv[16];
	pid_t pid;
	int i, st, fd;

	snprintf(path, sizeof(path), "%s/run.err", dir);
	argv[0] = daemon_path;
	for (i = 0; args[i]; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	pid = fork();
	if (!pid) {
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, STDERR_FILENO);
		fd = open("/dev/null", O_WRONLY);
		dup2(fd, STDOUT_FILENO);
		execv(daemon_path, (char *const *)argv);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	snprintf(err, size, "%s", slurp(path));
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* @args must exit @want with one line "cacheproxy-loaderd: ...@part...". */
static void expect_exit(int want, const char *part, const char *const *args)
{
	char err[4096], what[256] = "";
	int got, i;

	for (i = 0; args[i]; i++) {
		strncat(what, " ", sizeof(what) - strlen(what) - 1);
		strncat(what, args[i], sizeof(what) - strlen(what) - 1);
	}
	got = run(args, err, sizeof(err));
	if (want == 0) {
		check(got == 0, "cli:%s: exit %d (want 0)", what, got);
		return;
	}
	if (!check(got == want && lines(err) == 1 &&
		   !strncmp(err, "cacheproxy-loaderd: ", 20) &&
		   strstr(err, part),
		   "cli:%s: exit %d (want %d), one line with '%s'", what, got,
		   want, part))
		printf("#   stderr: %s", err);
}

static void test_cli(void)
{
	char db[128], nodb[128], sqlarg[140], noarg[140];
	sqlite3 *s;

#define A(...) ((const char *const[]){ __VA_ARGS__, NULL })
	expect_exit(0, "", A("--help"));
	expect_exit(2, "no BACKEND", A("--threads", "2"));
	expect_exit(2, "unknown BACKEND", A("mysql:x"));
	expect_exit(2, "unknown option", A("--bogus", "static:"));
	expect_exit(2, "needs a value", A("static:", "--threads"));
	expect_exit(2, "out of range", A("--threads", "0", "static:"));
	expect_exit(2, "not a number", A("--delay-us", "1x", "static:"));
	expect_exit(2, "one too many", A("static:", "static:"));
	expect_exit(2, "has no '=VALUE'", A("static:a=1,b"));
	expect_exit(2, "unknown escape", A("static:a=\\q"));
	expect_exit(2, "two hex digits", A("static:a=\\x4"));
	expect_exit(2, "comes twice", A("static:a=1,a=2"));
	expect_exit(2, "empty KEY", A("static:=1"));
	expect_exit(2, "needs a PATH", A("sqlite:"));
	expect_exit(2, "not a numeric address", A("redis:example.org:6379"));
	expect_exit(2, "in brackets", A("redis:::1:6379"));
	expect_exit(2, "not a port", A("redis:127.0.0.1:99999"));
	expect_exit(2, "needs a redis BACKEND",
		    A("--invalidate-redis", "static:a=1"));
	expect_exit(1, "is the cacheproxy module loaded?",
		    A("--device", "/nonexistent/cacheproxy", "static:a=1"));

	snprintf(nodb, sizeof(nodb), "%s/missing.db", dir);
	snprintf(noarg, sizeof(noarg), "sqlite:%s", nodb);
	expect_exit(1, "unable to open database file", A(noarg));
	snprintf(db, sizeof(db), "%s/nokv.db", dir);
	snprintf(sqlarg, sizeof(sqlarg), "sqlite:%s", db);
	if (sqlite3_open(db, &s) != SQLITE_OK ||
	    sqlite3_exec(s, "CREATE TABLE other(x)", NULL, NULL, NULL)) {
		fprintf(stderr, "sqlite: %s\n", sqlite3_errmsg(s));
		exit(1);
	}
	sqlite3_close(s);
	expect_exit(1, "no such table: kv", A(sqlarg));
#undef A
}

/* The static backend: every kind of answer, a long header, a batch. */
static void test_static(void)
{
	char big[BIG_LEN + 1], arg[BIG_LEN + 100], log[64];
	const char *args[] = { arg, NULL };
	struct req r[] = {
		R(1, "a"), R(2, "nul"), R(3, "empty"), R(4, "big"),
		R(5, "missing"), R(6, "comma"),
		{ .id = 7, .key = "a", .extra = 8 },
		{ .id = 8, .key = "a", .extra = 4 },
	};
	struct ans a[16];
	struct fake f;
	long long t0;
	int n;

	memset(big, 'x', BIG_LEN);
	big[BIG_LEN] = '\0';
	snprintf(arg, sizeof(arg),
		 "static:a=1,nul=a\\x00b\\nc,empty=,big=%s,comma=x\\,y\\=z",
		 big);
	if (fake_start(&f, 1, args)) {
		check(false, "static: the daemon starts (exit %d: %s)",
		      f.exit_status, slurp(f.err));
		return;
	}
	check(status_get(f.status, "requests") == 0 &&
	      status_get(f.status, "queries") == 0,
	      "static: a status file of zeros once attached");
	send_reqs(&f, 0, r, 8);
	n = recv_answers(&f, 0, a, 8, 5000);
	check(n == 8 && f.ch[0].reads == 2 && f.ch[0].max_per_read == 4 &&
	      f.ch[0].writes == 8,
	      "static: 8 requests: 2 reads of 4, each answer a write of its own (%d answers, %d reads, %d writes)",
	      n, f.ch[0].reads, f.ch[0].writes);
	if (check(n == 8, "static: 8 answers (got %d)", n)) {
		check(answer_is(&a[0], 1, 0, "1", 1), "static: a value");
		check(answer_is(&a[1], 2, 0, "a\0b\nc", 5),
		      "static: a value with NUL and newline");
		check(answer_is(&a[2], 3, 0, "", 0), "static: an empty value");
		check(answer_is(&a[3], 4, -EFBIG, NULL, 0),
		      "static: a value of %d bytes: EFBIG", BIG_LEN);
		check(answer_is(&a[4], 5, -ENOENT, NULL, 0),
		      "static: a missing key: ENOENT");
		check(answer_is(&a[5], 6, 0, "x,y=z", 5),
		      "static: escaped comma and equals sign");
		check(answer_is(&a[6], 7, 0, "1", 1),
		      "static: a longer header (a newer kernel) is skipped");
		check(answer_is(&a[7], 8, 0, "1", 1),
		      "static: a header of unaligned size");
	}
	/* The answers are counted once the write returned: maybe later. */
	t0 = now_ms();
	do {
		kill(f.pid, SIGUSR1);
		msleep(20);
	} while (status_get(f.status, "answers") != 8 &&
		 now_ms() - t0 < 5000);
	if (!check(status_get(f.status, "requests") == 8 &&
		   status_get(f.status, "answers") == 8 &&
		   status_get(f.status, "values") == 6 &&
		   status_get(f.status, "enoent") == 1 &&
		   status_get(f.status, "errors") == 1 &&
		   status_get(f.status, "refused") == 0 &&
		   status_get(f.status, "queries") == 8,
		   "static: SIGUSR1 writes the counters"))
		printf("#   %s", slurp(f.status));
	snprintf(log, sizeof(log), "get big: a value of %d bytes", BIG_LEN);
	check(strstr(slurp(f.err), log) != NULL, "static: EFBIG is logged");
	check(f.ch[0].padded >= 5 && !f.ch[0].malformed,
	      "static: the padding bytes of the answers are zero (%d padded answers)",
	      f.ch[0].padded);

	/* Malformed records: logged, skipped, the daemon goes on. */
	{
		struct cacheproxy_load_request h = {
			.size = sizeof(h), .id = 50, .key_len = 0,
		};
		char junk[7] = "abcdef";

		send_raw(&f, 0, &h, sizeof(h));
		send_raw(&f, 0, junk, sizeof(junk));
		h.key_len = 200;	/* longer than the message */
		send_raw(&f, 0, &h, sizeof(h));
		r[0].id = 51;
		send_reqs(&f, 0, r, 1);
		n = recv_answers(&f, 0, a, 1, 5000);
		check(n == 1 && answer_is(&a[0], 51, 0, "1", 1),
		      "static: malformed requests skipped, the next answered");
		check(strstr(slurp(f.err), "malformed request") &&
		      strstr(slurp(f.err), "a request cut short"),
		      "static: malformed requests are logged");
	}
	kill(f.pid, SIGTERM);
	check(fake_wait(&f, 5000) == 0, "static: SIGTERM: exit 0");
	check(status_get(f.status, "requests") == 9 &&
	      status_get(f.status, "answers") == 9,
	      "static: the counters are written at exit");
	fake_end(&f);
}

/*
 * A read takes at most 4 requests, a request too long for the first read
 * is read alone by a second, and each answer goes as soon as its query
 * returned: a slow query holds up no answer already made.
 */
static void test_batch(void)
{
	const char *args[] = { "--delay-us", "100000", "static:a=1,b=2", NULL };
	const char *fast[] = { "static:a=1", NULL };
	static char longkey[CACHEPROXY_KEY_MAX + 1];
	struct req r[] = {
		R(1, "a"), R(2, "b"), R(3, "a"), R(4, "b"), R(5, "a"),
		R(6, "b"), R(7, "a"), R(8, "b"), R(9, "a"),
	};
	struct ans a[16];
	struct fake f;
	int n, i;
	bool ok;

	if (fake_start(&f, 1, args)) {
		check(false, "batch: the daemon starts (exit %d: %s)",
		      f.exit_status, slurp(f.err));
		return;
	}
	send_reqs(&f, 0, r, 4);
	n = recv_answers(&f, 0, a, 4, 5000);
	ok = n == 4;
	for (i = 0; ok && i < 4; i++)
		ok = answer_is(&a[i], (uint64_t)i + 1, 0, i % 2 ? "2" : "1", 1) &&
		     a[i].write == i;
	check(ok && f.ch[0].reads == 1,
	      "batch: 4 requests of one read, 4 writes, each as soon as its query returned");
	check(n == 4 && a[3].ms - a[0].ms >= 200,
	      "batch: the first answer did not wait for the next queries (%lld ms before the last)",
	      n == 4 ? a[3].ms - a[0].ms : -1LL);
	kill(f.pid, SIGTERM);
	check(fake_wait(&f, 5000) == 0, "batch: SIGTERM: exit 0");
	fake_end(&f);

	if (fake_start(&f, 1, fast)) {
		check(false, "batch: the daemon starts (exit %d: %s)",
		      f.exit_status, slurp(f.err));
		return;
	}
	/* 9 short requests: reads of 4, 4 and 1. */
	send_reqs(&f, 0, r, 9);
	n = recv_answers(&f, 0, a, 9, 5000);
	check(n == 9 && f.ch[0].reads == 3 && f.ch[0].max_per_read == 4 &&
	      !f.ch[0].einval_reads,
	      "batch: 9 requests queued: 3 reads, at most 4 each (%d answers, %d reads, %d most)",
	      n, f.ch[0].reads, f.ch[0].max_per_read);
	/* A key of 255 bytes first: too long for the first read. */
	memset(longkey, 'k', CACHEPROXY_KEY_MAX);
	r[0].key = longkey;
	r[0].id = 10;
	send_reqs(&f, 0, r, 6);
	n = recv_answers(&f, 0, a, 6, 5000);
	check(n == 6 && answer_is(&a[0], 10, -ENOENT, NULL, 0) &&
	      answer_is(&a[5], 6, -ENOENT, NULL, 0) &&
	      f.ch[0].einval_reads == 1 && f.ch[0].max_per_read == 4 &&
	      f.ch[0].reads == 6,
	      "batch: a 255-byte key: EINVAL, read alone by a larger read, the rest 4 at a time (%d answers, %d EINVAL, %d reads)",
	      n, f.ch[0].einval_reads, f.ch[0].reads);
	kill(f.pid, SIGTERM);
	check(fake_wait(&f, 5000) == 0, "batch: SIGTERM: exit 0");
	fake_end(&f);
}

/* Makes the SQLite database of the tests. */
static void make_db(const char *path)
{
	char *msg = NULL, sql[512];
	sqlite3 *s;

	snprintf(sql, sizeof(sql),
		 "CREATE TABLE kv(key TEXT PRIMARY KEY, value BLOB);"
		 "INSERT INTO kv VALUES('k1', 'v1');"
		 "INSERT INTO kv VALUES('bin', x'000aff');"
		 "INSERT INTO kv VALUES('nullv', NULL);"
		 "INSERT INTO kv VALUES('int', 42);"
		 "INSERT INTO kv VALUES('big', zeroblob(%d));"
		 "INSERT INTO kv VALUES('max', zeroblob(%d));",
		 BIG_LEN, CACHEPROXY_VALUE_MAX);
	unlink(path);
	if (sqlite3_open(path, &s) != SQLITE_OK ||
	    sqlite3_exec(s, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "sqlite: %s\n", msg ? msg : sqlite3_errmsg(s));
		exit(1);
	}
	sqlite3_close(s);
}

static void test_sqlite(void)
{
	char db[128], arg[140], zeros[CACHEPROXY_VALUE_MAX] = { 0 };
	const char *args[] = { "--delay-us", "100000", "--timeout-ms", "200",
			       arg, NULL };
	struct req r[] = {
		R(1, "k1"), R(2, "bin"), R(3, "nullv"), R(4, "int"),
		R(5, "big"), R(6, "max"), R(7, "none"),
	};
	struct ans a[16], b[16];
	long long t0, t;
	struct fake f;
	sqlite3 *lock;
	int n, m;

	snprintf(db, sizeof(db), "%s/test.db", dir);
	snprintf(arg, sizeof(arg), "sqlite:%s", db);
	make_db(db);
	if (fake_start(&f, 2, args)) {
		check(false, "sqlite: the daemon starts (exit %d: %s)",
		      f.exit_status, slurp(f.err));
		return;
	}
	send_reqs(&f, 0, r, 7);
	n = recv_answers(&f, 0, a, 7, 5000);
	if (check(n == 7, "sqlite: 7 answers (got %d)", n)) {
		check(answer_is(&a[0], 1, 0, "v1", 2), "sqlite: a TEXT value");
		check(answer_is(&a[1], 2, 0, "\0\n\xff", 3),
		      "sqlite: a BLOB with NUL and newline");
		check(answer_is(&a[2], 3, -ENOENT, NULL, 0),
		      "sqlite: a NULL value: ENOENT");
		check(answer_is(&a[3], 4, 0, "42", 2),
		      "sqlite: an INTEGER as its text");
		check(answer_is(&a[4], 5, -EFBIG, NULL, 0),
		      "sqlite: %d bytes: EFBIG", BIG_LEN);
		check(answer_is(&a[5], 6, 0, zeros, CACHEPROXY_VALUE_MAX),
		      "sqlite: %d bytes: the value", CACHEPROXY_VALUE_MAX);
		check(answer_is(&a[6], 7, -ENOENT, NULL, 0),
		      "sqlite: no row: ENOENT");
	}

	/* --delay-us: one "database" for both threads, one query at once. */
	t0 = now_ms();
	send_reqs(&f, 0, r, 1);
	send_reqs(&f, 1, r, 1);
	n = recv_answers(&f, 0, a, 1, 5000);
	m = recv_answers(&f, 1, b, 1, 5000);
	t = now_ms() - t0;
	check(n == 1 && m == 1 && answer_is(&a[0], 1, 0, "v1", 2) &&
	      answer_is(&b[0], 1, 0, "v1", 2),
	      "sqlite: each thread answers its own channel");
	check(t >= 195, "sqlite: --delay-us 100000 serialises two threads (%lld ms)",
	      t);

	/* A write lock held past --timeout-ms: EIO, logged. */
	if (sqlite3_open(db, &lock) != SQLITE_OK ||
	    sqlite3_exec(lock, "BEGIN EXCLUSIVE; UPDATE kv SET value = 'v2' WHERE key = 'k1';",
			 NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "sqlite lock: %s\n", sqlite3_errmsg(lock));
		exit(1);
	}
	send_reqs(&f, 1, r, 1);
	n = recv_answers(&f, 1, a, 1, 5000);
	check(n == 1 && answer_is(&a[0], 1, -EIO, NULL, 0),
	      "sqlite: a locked database: EIO");
	check(strstr(slurp(f.err), "get k1: sqlite: database is locked: answered EIO") != NULL,
	      "sqlite: the failure is logged in one line");
	sqlite3_exec(lock, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(lock);
	send_reqs(&f, 1, r, 1);
	n = recv_answers(&f, 1, a, 1, 5000);
	check(n == 1 && answer_is(&a[0], 1, 0, "v2", 2),
	      "sqlite: the lock gone, the new value");

	/* SIGTERM while a read is being served: all of it is answered. */
	send_reqs(&f, 0, r, 4);
	msleep(50);
	t0 = now_ms();
	kill(f.pid, SIGTERM);
	n = recv_answers(&f, 0, a, 4, 5000);
	check(n == 4, "sqlite: SIGTERM during a read: its 4 requests answered (got %d)",
	      n);
	check(fake_wait(&f, 5000) == 0 && now_ms() - t0 >= 250,
	      "sqlite: then exit 0");
	fake_end(&f);
}

/*
 * More than LD_LOG_BURST lines in a second: the others are counted and
 * the count said at the latest at exit; the line saying why the daemon
 * exits 1 is never left out.
 */
static void test_log_limit(void)
{
	char arg[BIG_LEN + 100], log[64], *err, *p;
	const char *args[] = { arg, NULL };
	struct req r[24];
	struct ans a[24];
	struct fake f;
	int i, n, printed = 0, more = 0;

	snprintf(arg, sizeof(arg), "static:big=%0*d", BIG_LEN, 0);
	for (i = 0; i < 24; i++)
		r[i] = (struct req)R((uint64_t)i + 1, "big");
	if (fake_start(&f, 1, args)) {
		check(false, "log: the daemon starts (exit %d)",
		      f.exit_status);
		return;
	}
	send_reqs(&f, 0, r, 24);
	n = recv_answers(&f, 0, a, 24, 5000);
	close(f.ch[0].fd);
	f.ch[0].fd = -1;
	check(n == 24 && fake_wait(&f, 5000) == 1,
	      "log: 24 EFBIG answers, then the channel closed: exit 1");
	err = slurp(f.err);
	snprintf(log, sizeof(log), "get big: a value of %d bytes", BIG_LEN);
	for (p = err; (p = strstr(p, log)); p++)
		printed++;
	for (p = err; (p = strstr(p, LD_PROG ": ")); p++) {
		int k;

		if (sscanf(p, LD_PROG ": %d more messages were not logged",
			   &k) == 1)
			more += k;
	}
	/* Every line left out is counted (the last count at exit). */
	if (!check(printed + more == 24 && more > 0 && printed >= 10 &&
		   strstr(err, "channel: read: the channel was closed"),
		   "log: %d EFBIG lines printed, %d counted, the fatal line printed",
		   printed, more))
		printf("#   %s", err);
	fake_end(&f);
}

/* --count, a status file that cannot be written, a vanished kernel. */
static void test_misc(void)
{
	const char *count[] = { "--count", "3", "static:a=1", NULL };
	const char *bad[] = { "--status", "/nonexistent/dir/status",
			      "static:a=1", NULL };
	struct req r[] = { R(1, "a"), R(2, "b") };
	struct ans a[4];
	struct fake f;

	if (!fake_start(&f, 1, count)) {
		send_reqs(&f, 0, r, 2);
		check(recv_answers(&f, 0, a, 2, 5000) == 2 &&
		      fake_wait(&f, 300) < 0,
		      "--count 3: still serving after 2 requests");
		send_reqs(&f, 0, r, 2);
		check(recv_answers(&f, 0, a, 2, 5000) == 2 &&
		      fake_wait(&f, 5000) == 0,
		      "--count 3: exit 0 after 4 (the read that passed 3 answered whole)");
		fake_end(&f);
	}

	/* fake_start() adds its own --status: the last one counts. */
	check(fake_start(&f, 1, bad) < 0 && f.exit_status == 1 &&
	      strstr(slurp(f.err), "/nonexistent/dir/status.tmp"),
	      "--status in a missing directory: exit 1, named");
	fake_end(&f);

	/* SIGTERM at once, 20 times: 4 workers asleep in read all wake. */
	{
		int i, ok = 0;

		for (i = 0; i < 20; i++) {
			if (fake_start(&f, 4, count + 2))
				break;
			kill(f.pid, SIGTERM);
			ok += fake_wait(&f, 3000) == 0;
			fake_end(&f);
		}
		check(ok == 20, "SIGTERM right after the attach: exit 0 (%d of 20)",
		      ok);
	}

	if (!fake_start(&f, 2, count + 2)) {
		close(f.ch[1].fd);
		f.ch[1].fd = -1;
		if (!check(fake_wait(&f, 5000) == 1 &&
			   strstr(slurp(f.err), "channel: read: the channel was closed"),
			   "a channel that fails: the daemon stops, exit 1"))
			printf("#   exit %d: %s", f.exit_status, slurp(f.err));
		fake_end(&f);
	}

	/* Reads failing ENOMEM are tried again; another errno ends it. */
	if (!fake_start(&f, 1, count + 2)) {
		struct fch *c = &f.ch[0];

		c->rscript[0] = -ENOMEM;
		c->rscript[1] = -ENOMEM;
		c->nrscript = 2;
		fake_pump_all(&f);
		fake_serve(c);
		send_reqs(&f, 0, r, 1);
		check(recv_answers(&f, 0, a, 1, 5000) == 1 &&
		      answer_is(&a[0], 1, 0, "1", 1) && !c->nrscript &&
		      strstr(slurp(f.err), "channel: read: Cannot allocate memory (ENOMEM): trying again in 10 ms") &&
		      strstr(slurp(f.err), "trying again in 20 ms"),
		      "a read failing ENOMEM twice: tried again (10 ms, 20 ms), then served");
		c->rscript[0] = -EFAULT;
		c->nrscript = 1;
		fake_pump_all(&f);
		fake_serve(c);
		check(fake_wait(&f, 5000) == 1 &&
		      strstr(slurp(f.err), "channel: read: Bad address (EFAULT)\n"),
		      "a read failing EFAULT: exit 1, the errno named");
		fake_end(&f);
	}

	test_log_limit();
}

/* Redis. */

static char redis_sock[128];
static char redis_conf_port[16];
static pid_t redis_pid = -1;

static int redis_connect(void)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	strcpy(un.sun_path, redis_sock);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&un, sizeof(un))) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * One command (binary-safe arguments, @lens[i] 0: strlen); the reply's
 * first @nlines lines into @reply. Returns 0 or -1.
 */
static int redis_cmd(int argc, const char *const *argv, const size_t *lens,
		     int nlines, char *reply, size_t size)
{
	/* Room for a value longer than the longest, and a few small arguments. */
	char buf[2 * CACHEPROXY_VALUE_MAX];
	size_t len, off = 0;
	int fd, i, seen = 0;
	ssize_t n;

	len = (size_t)snprintf(buf, sizeof(buf), "*%d\r\n", argc);
	for (i = 0; i < argc; i++) {
		size_t l = lens && lens[i] ? lens[i] : strlen(argv[i]);

		if (len + 32 + l > sizeof(buf))
			return -1;
		len += (size_t)snprintf(buf + len, sizeof(buf) - len,
					"$%zu\r\n", l);
		memcpy(buf + len, argv[i], l);
		len += l;
		memcpy(buf + len, "\r\n", 2);
		len += 2;
	}
	fd = redis_connect();
	if (fd < 0)
		return -1;
	if (write(fd, buf, len) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	while (seen < nlines && off < size - 1) {
		n = read(fd, reply + off, size - 1 - off);
		if (n <= 0)
			break;
		for (i = 0; i < n; i++)
			seen += reply[off + i] == '\n';
		off += (size_t)n;
	}
	reply[off] = '\0';
	close(fd);
	return seen >= nlines ? 0 : -1;
}

static bool redis_set(const char *key, const char *val, size_t len)
{
	const char *argv[] = { "SET", key, val };
	const size_t lens[] = { 0, 0, len };
	char reply[64];

	return !redis_cmd(3, argv, lens, 1, reply, sizeof(reply)) &&
	       !strcmp(reply, "+OK\r\n");
}

static int free_port(void)
{
	struct sockaddr_in in = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	socklen_t len = sizeof(in);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	bind(fd, (struct sockaddr *)&in, sizeof(in));
	getsockname(fd, (struct sockaddr *)&in, &len);
	port = ntohs(in.sin_port);
	close(fd);
	return port;
}

static bool redis_start(void)
{
	char log[128], reply[64];
	const char *ping[] = { "PING" };
	long long end = now_ms() + 10000;

	snprintf(log, sizeof(log), "%s/redis.log", dir);
	redis_pid = fork();
	if (!redis_pid) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);

		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		execlp("redis-server", "redis-server", "--port",
		       redis_conf_port, "--bind", "127.0.0.1", "--unixsocket",
		       redis_sock, "--save", "", "--appendonly", "no",
		       "--daemonize", "no", "--dir", dir, (char *)NULL);
		_exit(127);
	}
	while (now_ms() < end) {
		if (!redis_cmd(1, ping, NULL, 1, reply, sizeof(reply)))
			return true;
		if (waitpid(redis_pid, NULL, WNOHANG) == redis_pid)
			break;
		msleep(20);
	}
	fprintf(stderr, "redis-server did not start: %s\n", slurp(log));
	return false;
}

static void redis_stop(void)
{
	if (redis_pid > 0) {
		kill(redis_pid, SIGTERM);
		waitpid(redis_pid, NULL, 0);
	}
	redis_pid = -1;
}

static bool redis_fill(void)
{
	static char big[BIG_LEN], max[CACHEPROXY_VALUE_MAX];
	const char *hset[] = { "HSET", "h", "f", "v" };
	char reply[64];

	memset(big, 'b', sizeof(big));
	memset(max, 'm', sizeof(max));
	return redis_set("k1", "v1", 2) && redis_set("bin", "\0\n\xff", 3) &&
	       redis_set("big", big, sizeof(big)) &&
	       redis_set("max", max, sizeof(max)) &&
	       !redis_cmd(4, hset, NULL, 1, reply, sizeof(reply));
}

/* Waits for the control message @want (others are skipped). */
static bool expect_control(struct fake *f, const char *want, int ms)
{
	long long end = now_ms() + ms;
	char buf[512];

	while (now_ms() < end) {
		if (recv_control(f, buf, sizeof(buf),
				 (int)(end - now_ms())) < 0)
			return false;
		if (!strcmp(buf, want))
			return true;
	}
	return false;
}

static void test_redis(void)
{
	static char max[CACHEPROXY_VALUE_MAX];
	char arg[160], tcp[64], reply[256];
	const char *args[] = { "--invalidate-redis", "--timeout-ms", "500",
			       arg, NULL };
	const char *targs[] = { tcp, NULL };
	const char *cfg[] = { "CONFIG", "GET", "notify-keyspace-events" };
	const char *del[] = { "DEL", "bin" };
	const char *push[] = { "RPUSH", "lst", "b", "a" };
	const char *sort[] = { "SORT", "lst", "ALPHA", "STORE", "sorted" };
	struct req r[] = {
		R(1, "k1"), R(2, "bin"), R(3, "big"), R(4, "none"),
		R(5, "h"), R(6, "max"),
	};
	struct ans a[16];
	struct fake f, t;
	char *flags;
	int n;

	if (system("command -v redis-server >/dev/null 2>&1")) {
		printf("# redis-server not found: the redis checks are skipped\n");
		skipped++;
		return;
	}
	snprintf(redis_sock, sizeof(redis_sock), "%s/redis.sock", dir);
	snprintf(redis_conf_port, sizeof(redis_conf_port), "%d", free_port());
	snprintf(arg, sizeof(arg), "redis:unix:%s", redis_sock);
	snprintf(tcp, sizeof(tcp), "redis:127.0.0.1:%s", redis_conf_port);
	memset(max, 'm', sizeof(max));
	if (!check(redis_start() && redis_fill(), "redis: a server to test on"))
		return;
	if (fake_start(&f, 2, args)) {
		check(false, "redis: the daemon starts (exit %d: %s)",
		      f.exit_status, slurp(f.err));
		redis_stop();
		return;
	}
	check(expect_control(&f, "flush", 3000),
	      "redis: the cache is flushed once subscribed, at start");
	flags = NULL;
	if (!redis_cmd(3, cfg, NULL, 5, reply, sizeof(reply))) {
		/* *2, $22, notify-keyspace-events, $N, the flags */
		flags = strstr(reply, "notify-keyspace-events\r\n$");
		flags = flags ? strstr(flags + 24, "\r\n") : NULL;
		if (flags)
			flags += 2;
	}
	check(flags && strchr(flags, 'K') && strchr(flags, 'A'),
	      "redis: --invalidate-redis turned keyspace notifications of every class on (%s)",
	      flags ? strtok(flags, "\r") : "no reply");
	send_reqs(&f, 0, r, 6);
	n = recv_answers(&f, 0, a, 6, 5000);
	if (check(n == 6, "redis: 6 answers (got %d)", n)) {
		check(answer_is(&a[0], 1, 0, "v1", 2), "redis: a value");
		check(answer_is(&a[1], 2, 0, "\0\n\xff", 3),
		      "redis: a value with NUL and newline");
		check(answer_is(&a[2], 3, -EFBIG, NULL, 0),
		      "redis: %d bytes: EFBIG", BIG_LEN);
		check(answer_is(&a[3], 4, -ENOENT, NULL, 0),
		      "redis: nil: ENOENT");
		check(answer_is(&a[4], 5, -EIO, NULL, 0),
		      "redis: a hash (WRONGTYPE): EIO");
		check(answer_is(&a[5], 6, 0, max, sizeof(max)),
		      "redis: %d bytes: the value", CACHEPROXY_VALUE_MAX);
	}
	check(strstr(slurp(f.err), "get h: redis: GET: WRONGTYPE") != NULL,
	      "redis: the error reply is logged");
	send_reqs(&f, 1, r, 1);
	n = recv_answers(&f, 1, a, 1, 5000);
	check(n == 1 && answer_is(&a[0], 1, 0, "v1", 2),
	      "redis: the second thread's connection");

	/* Keyspace notifications become invalidations. */
	check(redis_set("k1", "v2", 2) &&
	      expect_control(&f, "invalidate k1", 3000),
	      "redis: SET k1: k1 invalidated");
	check(!redis_cmd(2, del, NULL, 1, reply, sizeof(reply)) &&
	      expect_control(&f, "invalidate bin", 3000),
	      "redis: DEL bin: bin invalidated");
	check(!redis_cmd(4, push, NULL, 1, reply, sizeof(reply)) &&
	      expect_control(&f, "invalidate lst", 3000),
	      "redis: RPUSH lst (a list event): lst invalidated");
	check(!redis_cmd(5, sort, NULL, 1, reply, sizeof(reply)) &&
	      expect_control(&f, "invalidate sorted", 3000),
	      "redis: SORT lst STORE sorted: sorted invalidated");

	/* Over TCP. */
	if (!fake_start(&t, 1, targs)) {
		send_reqs(&t, 0, r, 1);
		n = recv_answers(&t, 0, a, 1, 5000);
		check(n == 1 && answer_is(&a[0], 1, 0, "v2", 2),
		      "redis: over TCP (127.0.0.1)");
		kill(t.pid, SIGTERM);
		check(fake_wait(&t, 5000) == 0, "redis: TCP daemon: exit 0");
		fake_end(&t);
	}

	/* The server goes away: EIO; it comes back: served, cache flushed. */
	redis_stop();
	send_reqs(&f, 0, r, 3);
	n = recv_answers(&f, 0, a, 3, 5000);
	check(n == 3 && answer_is(&a[0], 1, -EIO, NULL, 0) &&
	      answer_is(&a[2], 3, -EIO, NULL, 0) && a[0].write == a[2].write &&
	      strstr(slurp(f.err), "2 more requests of the same read answered EIO without asking"),
	      "redis: server down: EIO, the rest of the read at once without asking");
	check(strstr(slurp(f.err), "get k1: redis: connect: ") != NULL,
	      "redis: server down: logged");
	if (!check(redis_start() && redis_fill(), "redis: server back"))
		goto out;
	check(expect_control(&f, "flush", 5000),
	      "redis: the watcher subscribes again and flushes the cache");
	send_reqs(&f, 0, r, 1);
	n = recv_answers(&f, 0, a, 1, 5000);
	check(n == 1 && answer_is(&a[0], 1, 0, "v1", 2),
	      "redis: server back: served on a new connection");
	check(redis_set("k1", "v3", 2) &&
	      expect_control(&f, "invalidate k1", 3000),
	      "redis: notifications after the reconnection");
	check(!strstr(slurp(f.err), "PING"),
	      "redis: the watcher's PINGs were answered");
out:
	kill(f.pid, SIGTERM);
	check(fake_wait(&f, 5000) == 0, "redis: SIGTERM: exit 0");
	fake_end(&f);
	redis_stop();
}

/*
 * A hostile redis of the test's own: a server process on a unix socket
 * (its group killed to stop it) that forks one process per connection and
 * answers GET by the key: "ok" a value, "none" nil, "giant" a bulk of
 * 500 MB announced (and none sent), "trickle" a value of 276 bytes sent
 * one byte every 50 ms, "garbage" no RESP at all, "silent" nothing. It
 * also plays the watcher's CONFIG, PSUBSCRIBE and PING, the last not at
 * all when @mute_ping.
 */
static char fredis_sock[128];
static pid_t fredis_pid = -1;

static void fredis_send(int fd, const char *s, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, s, len);
		if (n <= 0)
			_exit(0);
		s += n;
		len -= (size_t)n;
	}
}

#define FR_SEND(fd, lit)	fredis_send(fd, lit, sizeof(lit) - 1)

static void fredis_command(int fd, int argc, char **argv, bool mute_ping)
{
	const char *key = argc > 1 ? argv[1] : "";
	int i;

	if (!strcasecmp(argv[0], "GET")) {
		if (!strcmp(key, "ok")) {
			FR_SEND(fd, "$2\r\nok\r\n");
		} else if (!strcmp(key, "giant")) {
			FR_SEND(fd, "$500000000\r\n");
		} else if (!strcmp(key, "trickle")) {
			FR_SEND(fd, "$276\r\n");
			for (i = 0; i < 278; i++) {
				fredis_send(fd, i < 276 ? "t" : &"\r\n"[i - 276],
					    1);
				msleep(50);
			}
		} else if (!strcmp(key, "garbage")) {
			FR_SEND(fd, "hello, world\r\n");
		} else if (strcmp(key, "silent")) {
			FR_SEND(fd, "$-1\r\n");
		}
	} else if (!strcasecmp(argv[0], "CONFIG") && argc > 1 &&
		   !strcasecmp(argv[1], "GET")) {
		FR_SEND(fd, "*2\r\n$22\r\nnotify-keyspace-events\r\n$2\r\nAK\r\n");
	} else if (!strcasecmp(argv[0], "PSUBSCRIBE")) {
		FR_SEND(fd, "*3\r\n$10\r\npsubscribe\r\n$16\r\n__keyspace@0__:*\r\n:1\r\n");
	} else if (!strcasecmp(argv[0], "PING")) {
		if (!mute_ping)
			FR_SEND(fd, "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
	} else {
		FR_SEND(fd, "-ERR unknown command\r\n");
	}
}

/* One connection: reads commands (RESP arrays of bulks), answers each. */
static void fredis_conn(int fd, bool mute_ping)
{
	char buf[4096], *argv[8], *p, *end;
	size_t len = 0, used;
	ssize_t n;
	int argc, want, i;
	long l;

	for (;;) {
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			_exit(0);
		len += (size_t)n;
		buf[len] = '\0';
		for (;;) {
			/* *N\r\n then N times $L\r\nBYTES\r\n */
			p = buf;
			if (*p != '*')
				_exit(1);
			want = (int)strtol(p + 1, &end, 10);
			if (strncmp(end, "\r\n", 2) || want < 1 || want > 8)
				break;
			p = end + 2;
			for (argc = 0; argc < want; argc++) {
				if (*p != '$')
					break;
				l = strtol(p + 1, &end, 10);
				if (strncmp(end, "\r\n", 2) ||
				    end + 2 + l + 2 > buf + len)
					break;
				argv[argc] = end + 2;
				p = end + 2 + l + 2;
			}
			if (argc < want)
				break;	/* more to read */
			for (i = 0; i < argc; i++)
				strchr(argv[i], '\r')[0] = '\0';
			used = (size_t)(p - buf);
			fredis_command(fd, argc, argv, mute_ping);
			memmove(buf, buf + used, len - used);
			len -= used;
			buf[len] = '\0';
			if (!len)
				break;
		}
	}
}

static void fredis_start(bool mute_ping)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	int lfd, fd;

	snprintf(fredis_sock, sizeof(fredis_sock), "%s/fredis.sock", dir);
	strcpy(un.sun_path, fredis_sock);
	unlink(fredis_sock);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&un, sizeof(un)) ||
	    listen(lfd, 16)) {
		perror("fake redis");
		exit(1);
	}
	fredis_pid = fork();
	if (!fredis_pid) {
		setpgid(0, 0);
		signal(SIGCHLD, SIG_IGN);	/* no zombies */
		alarm(120);
		for (;;) {
			fd = accept(lfd, NULL, NULL);
			if (fd < 0)
				continue;
			if (!fork()) {
				close(lfd);
				fredis_conn(fd, mute_ping);
			}
			close(fd);
		}
	}
	setpgid(fredis_pid, fredis_pid);
	close(lfd);
}

/* Kills the server and its connections: no one listens any more. */
static void fredis_stop(void)
{
	if (fredis_pid > 0) {
		kill(-fredis_pid, SIGKILL);
		waitpid(fredis_pid, NULL, 0);
		unlink(fredis_sock);
	}
	fredis_pid = -1;
}

/* Sends @key as request @id on channel 0 and takes its answer. */
static bool fredis_get(struct fake *f, uint64_t id, const char *key,
		       struct ans *a, long long *ms)
{
	struct req r = R(id, key);
	long long t0 = now_ms();
	bool ok;

	send_reqs(f, 0, &r, 1);
	ok = recv_answers(f, 0, a, 1, 10000) == 1 && a->id == id;
	*ms = now_ms() - t0;
	return ok;
}

static void test_redis_hostile(void)
{
	char arg[160];
	const char *args[] = { "--timeout-ms", "500", arg, NULL };
	const char *slow[] = { "--timeout-ms", "10000", arg, NULL };
	const char *watch[] = { "--invalidate-redis", "--timeout-ms", "300",
				arg, NULL };
	static const int estale[] = { 24, -ESTALE, W_ALL };
	static const int nomem[] = { -ENOMEM, 24, W_ALL };
	struct req r[] = {
		R(11, "ok"), R(12, "ok"), R(13, "ok"), R(14, "ok"),
	};
	struct ans a[8];
	struct fake f;
	long long ms;
	bool ok;
	int n;

	fredis_start(false);
	snprintf(arg, sizeof(arg), "redis:unix:%s", fredis_sock);
	if (fake_start(&f, 1, args)) {
		check(false, "hostile redis: the daemon starts (exit %d: %s)",
		      f.exit_status, slurp(f.err));
		fredis_stop();
		return;
	}
	ok = fredis_get(&f, 1, "ok", a, &ms);
	check(ok && answer_is(a, 1, 0, "ok", 2), "hostile redis: a value");
	ok = fredis_get(&f, 2, "giant", a, &ms);
	check(ok && answer_is(a, 2, -EIO, NULL, 0) && ms < 400 &&
	      strstr(slurp(f.err), "a value of 500000000 bytes announced"),
	      "hostile redis: 500 MB announced: EIO at once, unread (%lld ms)",
	      ms);
	ok = fredis_get(&f, 3, "trickle", a, &ms);
	check(ok && answer_is(a, 3, -EIO, NULL, 0) && ms >= 450 &&
	      ms < 1500 &&
	      strstr(slurp(f.err), "get trickle: redis: recv: timed out"),
	      "hostile redis: a reply trickling in: EIO once the lookup's 500 ms are over (%lld ms)",
	      ms);
	ok = fredis_get(&f, 4, "garbage", a, &ms);
	check(ok && answer_is(a, 4, -EIO, NULL, 0) && ms < 400 &&
	      strstr(slurp(f.err), "get garbage: redis: protocol error"),
	      "hostile redis: garbage: EIO at once (%lld ms)", ms);
	ok = fredis_get(&f, 5, "silent", a, &ms);
	check(ok && answer_is(a, 5, -EIO, NULL, 0) && ms >= 450 && ms < 1500,
	      "hostile redis: no reply: EIO after 500 ms (%lld ms)", ms);
	ok = fredis_get(&f, 6, "ok", a, &ms) && answer_is(a, 6, 0, "ok", 2);
	ok = ok && fredis_get(&f, 7, "none", a, &ms) &&
	     answer_is(a, 7, -ENOENT, NULL, 0);
	check(ok, "hostile redis: each dropped connection made again: a value, nil");

	/*
	 * The server gone: the first lookup cannot connect, and the rest of
	 * its read is answered at once in the same write, which the fake
	 * kernel takes in part: the daemon writes the rest again, skipping
	 * only the answer refused.
	 */
	fredis_stop();
	fake_script_writes(&f, 0, estale, 3);
	send_reqs(&f, 0, r, 4);
	n = recv_answers(&f, 0, a, 3, 5000);
	check(n == 3 && answer_is(&a[0], 11, -EIO, NULL, 0) &&
	      answer_is(&a[1], 13, -EIO, NULL, 0) &&
	      answer_is(&a[2], 14, -EIO, NULL, 0),
	      "write: a short write, then ESTALE for the 2nd answer: 11, 13 and 14 taken");
	check(f.ch[0].writes >= 3 && f.ch[0].wn[f.ch[0].writes - 3] == 4 &&
	      f.ch[0].wids[f.ch[0].writes - 2][0] == 12 &&
	      f.ch[0].wn[f.ch[0].writes - 2] == 3 &&
	      f.ch[0].wids[f.ch[0].writes - 1][0] == 13 &&
	      f.ch[0].wn[f.ch[0].writes - 1] == 2,
	      "write: the 4 answers in one write, then 12..14 again, then 13..14");
	r[0].id = 21;
	r[1].id = 22;
	r[2].id = 23;
	fake_script_writes(&f, 0, nomem, 3);
	send_reqs(&f, 0, r, 3);
	n = recv_answers(&f, 0, a, 3, 5000);
	check(n == 3 && a[0].id == 21 && a[1].id == 22 && a[2].id == 23 &&
	      f.ch[0].wn[f.ch[0].writes - 3] == 3 &&
	      f.ch[0].wn[f.ch[0].writes - 2] == 3 &&
	      f.ch[0].wids[f.ch[0].writes - 1][0] == 22,
	      "write: ENOMEM: written again; a short write: the rest again");
	/* 7 queries above, then one per read. */
	check(status_until(&f, "queries", 9) &&
	      status_get(f.status, "refused") == 1 &&
	      strstr(slurp(f.err), "answer to request 12 refused"),
	      "write: one query per read once unreachable, one answer refused");
	fredis_start(false);
	ok = fredis_get(&f, 31, "ok", a, &ms);
	check(ok && answer_is(a, 31, 0, "ok", 2), "hostile redis: back: served");
	kill(f.pid, SIGTERM);
	check(fake_wait(&f, 5000) == 0, "hostile redis: SIGTERM: exit 0");
	fake_end(&f);

	/* A lookup waiting for the server gives up when the daemon stops. */
	if (!fake_start(&f, 1, slow)) {
		struct req s = R(1, "silent");
		long long t0;

		send_reqs(&f, 0, &s, 1);
		msleep(200);
		t0 = now_ms();
		kill(f.pid, SIGTERM);
		n = recv_answers(&f, 0, a, 1, 5000);
		ms = now_ms() - t0;
		check(n == 1 && answer_is(a, 1, -EIO, NULL, 0) && ms < 1000 &&
		      fake_wait(&f, 5000) == 0 &&
		      strstr(slurp(f.err), "given up, the daemon is stopping"),
		      "hostile redis: SIGTERM during a 10 s lookup: EIO in %lld ms, exit 0",
		      ms);
		fake_end(&f);
	}
	fredis_stop();

	/* The watcher: a PING never answered is a lost connection. */
	fredis_start(true);
	if (!fake_start(&f, 1, watch)) {
		check(expect_control(&f, "flush", 3000),
		      "watcher: the cache is flushed once subscribed");
		check(expect_control(&f, "flush", 5000) &&
		      strstr(slurp(f.err), "no answer to PING within 300 ms"),
		      "watcher: a PING unanswered: connected again, the cache flushed");
		kill(f.pid, SIGTERM);
		check(fake_wait(&f, 5000) == 0, "watcher: SIGTERM: exit 0");
		fake_end(&f);
	}
	fredis_stop();
}

static void cleanup(void)
{
	char cmd[128];

	redis_stop();
	fredis_stop();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", dir);
}

int main(int argc, char **argv)
{
	static char path[4096];
	char *slash;

	if (argc > 1) {
		daemon_path = argv[1];
	} else {
		snprintf(path, sizeof(path), "%s", argv[0]);
		slash = strrchr(path, '/');
		snprintf(slash ? slash + 1 : path,
			 sizeof(path) - (size_t)(slash ? slash + 1 - path : 0),
			 "cacheproxy-loaderd");
		daemon_path = path;
	}
	if (access(daemon_path, X_OK)) {
		fprintf(stderr, "loaderd-test: %s: %s\n", daemon_path,
			strerror(errno));
		return 1;
	}
	strcpy(dir, "/tmp/loaderd-test.XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	alarm(300);	/* a hang fails the test instead of blocking it */
	test_cli();
	test_static();
	test_batch();
	test_sqlite();
	test_misc();
	test_redis();
	test_redis_hostile();
	cleanup();
	printf("%d passed, %d failed\n", passed, failed_checks);
	return failed_checks ? 1 : 0;
}
