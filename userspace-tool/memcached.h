/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small client of memcached's text protocol (get, set, delete,
 * flush_all, stats), for cacheproxy-stress --via memcached. One struct
 * cp_mc is one connection, used by one thread at a time, with blocking I/O
 * bounded by CP_MC_TIMEOUT_S per call.
 *
 * Every function returns 0 (or the positive result it documents) or a
 * negative errno, and prints nothing. Errors of the connection:
 *   -ECONNRESET  the server closed it
 *   -ETIMEDOUT   no answer within CP_MC_TIMEOUT_S
 *   -EPROTO      an answer the protocol does not allow (garbage, an answer
 *                about another key, a value whose length is not the one
 *                announced)
 *   -EREMOTEIO   the server answered ERROR, CLIENT_ERROR or SERVER_ERROR;
 *                the connection stays usable
 * After any of them but -EREMOTEIO the connection is dead: every later call
 * returns the same error at once. cp_mc_last_error() says more.
 */
#ifndef _CP_MEMCACHED_H
#define _CP_MEMCACHED_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define CP_MC_DEFAULT_ADDR	"127.0.0.1:11211"
#define CP_MC_DEFAULT_PORT	11211
#define CP_MC_KEY_MAX		250	/* the protocol's limit */
#define CP_MC_TIMEOUT_S		10
#define CP_MC_PIPE_MAX		256	/* sets per cp_mc_set_many() call */

struct cp_mc;

/* One set of a pipelined batch (cp_mc_set_many()). */
struct cp_mc_item {
	const char *key;
	size_t key_len;
	const char *val;
	size_t val_len;
};

/**
 * struct cp_mc_stats - what cacheproxy-stress reads of "stats"
 *
 * Counters since the server started (cmd_get .. evictions) and gauges
 * (curr_items .. threads); a field the server did not send stays 0.
 */
struct cp_mc_stats {
	char version[32];
	uint64_t cmd_get;
	uint64_t get_hits;
	uint64_t get_misses;
	uint64_t cmd_set;
	uint64_t delete_hits;
	uint64_t delete_misses;
	uint64_t cmd_flush;
	uint64_t evictions;
	uint64_t curr_items;
	uint64_t bytes;
	uint64_t limit_maxbytes;
	uint64_t curr_connections;
	uint64_t threads;
};

/*
 * ADDR: "unix:PATH" or a PATH that begins with '/' or '.'; "IPV4[:PORT]",
 * "[IPV6][:PORT]" or "localhost[:PORT]" (127.0.0.1); the port defaults to
 * 11211. No name lookup. Returns 0, or -EINVAL after writing the problem
 * into @err.
 */
int cp_mc_parse_addr(const char *addr, struct sockaddr_storage *ss,
		     socklen_t *len, char *err, size_t err_size);

/*
 * Connect to ADDR (TCP_NODELAY on TCP). Returns 0 with *@mc set, or a
 * negative errno after writing one phrase naming the problem into @err
 * ("connect: No such file or directory").
 */
int cp_mc_connect(const char *addr, struct cp_mc **mc, char *err,
		  size_t err_size);
/* A client over an open stream socket @fd, which it then owns (tests). */
int cp_mc_open_fd(int fd, struct cp_mc **mc);
void cp_mc_close(struct cp_mc *mc);
/* What the last error was, in words: the server's line or our reason. */
const char *cp_mc_last_error(const struct cp_mc *mc);

/* True when @key can be sent: 1..250 bytes, none a space or control. */
int cp_mc_key_ok(const char *key, size_t key_len);

/*
 * get KEY: 1 on a hit (the value in @val, *@val_len its length), 0 on a
 * miss. A value longer than @val_size is cut to @val_size bytes (the rest
 * is read and dropped), so that the caller's check sees it is not the
 * short value it expects.
 */
int cp_mc_get(struct cp_mc *mc, const char *key, size_t key_len, char *val,
	      size_t val_size, size_t *val_len);
/* set KEY (flags 0, no expiry): 0 when STORED. */
int cp_mc_set(struct cp_mc *mc, const char *key, size_t key_len,
	      const char *val, size_t val_len);
/* Up to CP_MC_PIPE_MAX sets sent at once, then every reply read. */
int cp_mc_set_many(struct cp_mc *mc, const struct cp_mc_item *items,
		   unsigned int count);
/* delete KEY: 1 when DELETED, 0 when NOT_FOUND. */
int cp_mc_delete(struct cp_mc *mc, const char *key, size_t key_len);
int cp_mc_flush_all(struct cp_mc *mc);
/* Fills @st (zeroed first) from "stats"; -EPROTO without "version". */
int cp_mc_stats(struct cp_mc *mc, struct cp_mc_stats *st);

#endif /* _CP_MEMCACHED_H */
