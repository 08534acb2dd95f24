// SPDX-License-Identifier: GPL-2.0
/*
 * cacheproxy-loaderd: the static backend, "static:KEY=VALUE,...", keys and
 * values held in memory, for tests without a database. In KEY and VALUE a
 * backslash escapes: "\," is a comma, "\=" an equals sign, "\\" a
 * backslash, "\n" a newline, "\xHH" any byte (so a value may hold NUL and
 * newline). "static:" alone knows no key. A VALUE longer than
 * CACHEPROXY_VALUE_MAX is accepted (it is answered EFBIG).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/cacheproxy.h>

#include "loaderd.h"

struct st_entry {
	char *key;
	size_t key_len;
	char *val;
	size_t val_len;
};

struct st_cfg {
	struct st_entry *e;
	size_t n;
};

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Unescapes *@s up to an unescaped character of @stops (or the end) into
 * @out (as long as the input); *@s is left on the stop. Returns the length,
 * or -1 for a bad escape (reason in @err).
 */
static long unescape(const char **s, const char *stops, char *out, char *err,
		     size_t err_size)
{
	const char *p = *s;
	long n = 0;
	int hi, lo;

	for (; *p && !strchr(stops, *p); p++) {
		if (*p != '\\') {
			out[n++] = *p;
			continue;
		}
		p++;
		switch (*p) {
		case '\\':
		case ',':
		case '=':
			out[n++] = *p;
			break;
		case 'n':
			out[n++] = '\n';
			break;
		case 'x':
			hi = hexval(p[1]);
			lo = hi < 0 ? -1 : hexval(p[2]);
			if (lo < 0) {
				snprintf(err, err_size,
					 "static: '\\x' needs two hex digits");
				return -1;
			}
			out[n++] = (char)(hi << 4 | lo);
			p += 2;
			break;
		default:
			snprintf(err, err_size,
				 "static: unknown escape '\\%.1s' (\\\\, \\,, \\=, \\n, \\xHH)",
				 p);
			return -1;
		}
	}
	*s = p;
	return n;
}

static void st_free(struct st_cfg *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		free(c->e[i].key);
		free(c->e[i].val);
	}
	free(c->e);
	free(c);
}

static int st_parse(const char *arg, void **cfg, char *err, size_t err_size)
{
	struct st_cfg *c = calloc(1, sizeof(*c));
	const char *p = arg;
	size_t i, len = strlen(arg);

	if (!c)
		goto nomem;
	while (*p) {
		struct st_entry e = { 0 }, *grown;
		long n;

		e.key = malloc(len + 1);
		e.val = malloc(len + 1);
		if (!e.key || !e.val) {
			free(e.key);
			free(e.val);
			goto nomem;
		}
		n = unescape(&p, ",=", e.key, err, err_size);
		if (n >= 0 && *p != '=') {
			snprintf(err, err_size,
				 "static: '%.*s' has no '=VALUE'", (int)n,
				 e.key);
			n = -1;
		} else if (n == 0) {
			snprintf(err, err_size, "static: an empty KEY");
			n = -1;
		} else if (n > CACHEPROXY_KEY_MAX) {
			snprintf(err, err_size,
				 "static: a KEY of %ld bytes (at most %d)", n,
				 CACHEPROXY_KEY_MAX);
			n = -1;
		}
		if (n < 0) {
			free(e.key);
			free(e.val);
			st_free(c);
			return -1;
		}
		e.key_len = (size_t)n;
		p++;
		n = unescape(&p, ",", e.val, err, err_size);
		for (i = 0; n >= 0 && i < c->n; i++) {
			if (c->e[i].key_len == e.key_len &&
			    !memcmp(c->e[i].key, e.key, e.key_len)) {
				snprintf(err, err_size,
					 "static: the KEY '%.*s' comes twice",
					 (int)e.key_len, e.key);
				n = -1;
			}
		}
		grown = n < 0 ? NULL :
			realloc(c->e, (c->n + 1) * sizeof(*c->e));
		if (!grown) {
			free(e.key);
			free(e.val);
			st_free(c);
			if (n >= 0)
				snprintf(err, err_size, "static: %s",
					 strerror(ENOMEM));
			return -1;
		}
		e.val_len = (size_t)n;
		/* Both were allocated for the whole argument: trim them. */
		e.key = realloc(e.key, e.key_len) ?: e.key;
		e.val = realloc(e.val, e.val_len ?: 1) ?: e.val;
		c->e = grown;
		c->e[c->n++] = e;
		if (*p == ',')
			p++;
	}
	*cfg = c;
	return 0;
nomem:
	if (c)
		st_free(c);
	snprintf(err, err_size, "static: %s", strerror(ENOMEM));
	return -1;
}

static int st_open(void *cfg, int timeout_ms, void **conn, char *err,
		   size_t err_size)
{
	(void)timeout_ms;
	(void)err;
	(void)err_size;
	*conn = cfg;
	return 0;
}

static int st_get(void *conn, const char *key, size_t key_len, char *val,
		  size_t *val_len, char *err, size_t err_size)
{
	struct st_cfg *c = conn;
	size_t i;

	(void)err;
	(void)err_size;
	for (i = 0; i < c->n; i++) {
		const struct st_entry *e = &c->e[i];

		if (e->key_len != key_len || memcmp(e->key, key, key_len))
			continue;
		*val_len = e->val_len;
		if (e->val_len > CACHEPROXY_VALUE_MAX)
			return -EFBIG;
		memcpy(val, e->val, e->val_len);
		return 0;
	}
	return -ENOENT;
}

static void st_close(void *conn)
{
	(void)conn;	/* the configuration lives as long as the daemon */
}

const struct ld_backend_ops ld_static_ops = {
	.name = "static",
	.parse = st_parse,
	.open = st_open,
	.get = st_get,
	.close = st_close,
};
