// SPDX-License-Identifier: GPL-2.0
/*
 * cacheproxy-stress --expect: the database's contents (see expect.h), in
 * an open-addressing hash table that the workers only read: it is built
 * before they start and freed after they were joined, so it takes no lock.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "expect.h"

struct cp_expect_entry {
	const char *key;
	size_t key_len;
	const char *val;
	size_t val_len;
};

/**
 * struct cp_expect - the keys and values of FILE
 * @buf:	FILE's bytes, unescaped in place: every key and value points
 *		into it
 * @slot:	@mask + 1 slots, each 0 (empty) or an index into @entry plus 1;
 *		at most half of them used
 */
struct cp_expect {
	char *buf;
	struct cp_expect_entry *entry;
	size_t count;
	size_t *slot;
	size_t mask;
};

/* FNV-1a */
static uint64_t hash(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* The slot of @key: its entry's, or the empty one where it would go. */
static size_t *find_slot(const struct cp_expect *e, const char *key,
			 size_t key_len)
{
	size_t i = (size_t)hash(key, key_len) & e->mask;

	for (;; i = (i + 1) & e->mask) {
		const struct cp_expect_entry *en;

		if (!e->slot[i])
			return &e->slot[i];
		en = &e->entry[e->slot[i] - 1];
		if (en->key_len == key_len && !memcmp(en->key, key, key_len))
			return &e->slot[i];
	}
}

/*
 * Unescapes the @len bytes at @s into @s itself (never longer) and returns
 * the new length, or -1 with the reason in @why.
 */
static long unescape(char *s, size_t len, const char **why)
{
	size_t i, o = 0;
	char hex[3] = "";

	for (i = 0; i < len; i++) {
		if (s[i] != '\\') {
			s[o++] = s[i];
			continue;
		}
		if (++i == len) {
			*why = "a backslash ends it (\\\\, \\t, \\n, \\xHH)";
			return -1;
		}
		switch (s[i]) {
		case '\\':
			s[o++] = '\\';
			break;
		case 't':
			s[o++] = '\t';
			break;
		case 'n':
			s[o++] = '\n';
			break;
		case 'x':
			if (len - i < 3 || !isxdigit((unsigned char)s[i + 1]) ||
			    !isxdigit((unsigned char)s[i + 2])) {
				*why = "'\\x' needs two hex digits";
				return -1;
			}
			memcpy(hex, s + i + 1, 2);
			s[o++] = (char)strtoul(hex, NULL, 16);
			i += 2;
			break;
		default:
			*why = "an unknown escape (\\\\, \\t, \\n, \\xHH)";
			return -1;
		}
	}
	return (long)o;
}

void cp_expect_free(struct cp_expect *e)
{
	if (!e)
		return;
	free(e->buf);
	free(e->entry);
	free(e->slot);
	free(e);
}

/* One line "KEY\tVALUE" at @s, @len bytes without its newline. */
static int parse_line(struct cp_expect *e, char *s, size_t len,
		      const char **why)
{
	char *tab = memchr(s, '\t', len);
	struct cp_expect_entry *en = &e->entry[e->count];
	size_t *slot;
	long n;

	if (!tab) {
		*why = len ? "no tab between KEY and VALUE" : "an empty line";
		return -1;
	}
	n = unescape(s, (size_t)(tab - s), why);
	if (n < 0)
		return -1;
	if (!n) {
		*why = "an empty key";
		return -1;
	}
	en->key = s;
	en->key_len = (size_t)n;
	n = unescape(tab + 1, len - (size_t)(tab + 1 - s), why);
	if (n < 0)
		return -1;
	en->val = tab + 1;
	en->val_len = (size_t)n;
	slot = find_slot(e, en->key, en->key_len);
	if (*slot) {
		*why = "a key that came before";
		return -1;
	}
	*slot = ++e->count;
	return 0;
}

struct cp_expect *cp_expect_parse(char *buf, size_t len, const char *name,
				  char *err, size_t err_size)
{
	struct cp_expect *e = calloc(1, sizeof(*e));
	size_t lines = 0, slots = 2, pos, line = 0;
	const char *why = NULL;

	if (!e) {
		free(buf);
		snprintf(err, err_size, "%s: %s", name, strerror(ENOMEM));
		return NULL;
	}
	e->buf = buf;
	for (pos = 0; pos < len; pos++)
		lines += buf[pos] == '\n';
	lines++;
	while (slots < 2 * lines)
		slots *= 2;
	e->mask = slots - 1;
	e->entry = calloc(lines, sizeof(*e->entry));
	e->slot = calloc(slots, sizeof(*e->slot));
	if (!e->entry || !e->slot) {
		snprintf(err, err_size, "%s: %s", name, strerror(ENOMEM));
		goto fail;
	}
	for (pos = 0; pos < len; ) {
		char *nl = memchr(buf + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - buf) : len;

		line++;
		if (parse_line(e, buf + pos, end - pos, &why)) {
			snprintf(err, err_size, "%s:%zu: %s", name, line, why);
			goto fail;
		}
		pos = end + 1;
	}
	return e;

fail:
	cp_expect_free(e);
	return NULL;
}

struct cp_expect *cp_expect_load(const char *path, char *err,
				 size_t err_size)
{
	size_t len = 0, size = 4096;
	char *buf, *grown;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, err_size, "%s: %s", path, strerror(errno));
		return NULL;
	}
	buf = malloc(size);
	if (!buf)
		goto nomem;
	for (;;) {
		if (len == size) {
			grown = realloc(buf, size * 2);
			if (!grown)
				goto nomem;
			buf = grown;
			size *= 2;
		}
		n = read(fd, buf + len, size - len);
		if (!n)
			break;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, err_size, "%s: %s", path,
				 strerror(errno));
			goto fail;
		}
		len += (size_t)n;
	}
	close(fd);
	return cp_expect_parse(buf, len, path, err, err_size);

nomem:
	snprintf(err, err_size, "%s: %s", path, strerror(ENOMEM));
fail:
	free(buf);
	close(fd);
	return NULL;
}

size_t cp_expect_count(const struct cp_expect *e)
{
	return e->count;
}

bool cp_expect_find(const struct cp_expect *e, const char *key,
		    size_t key_len, const char **val, size_t *val_len)
{
	size_t *slot = find_slot(e, key, key_len);

	if (!*slot)
		return false;
	*val = e->entry[*slot - 1].val;
	*val_len = e->entry[*slot - 1].val_len;
	return true;
}

enum cp_verdict cp_expect_verify(const struct cp_expect *e, const char *key,
				 size_t key_len, int err, const char *val,
				 size_t val_len)
{
	const char *want;
	size_t want_len;
	bool found = cp_expect_find(e, key, key_len, &want, &want_len);

	if (!err) {
		if (!found || val_len != want_len ||
		    memcmp(val, want, val_len))
			return CP_ANSWER_WRONG;
		return CP_ANSWER_OK;
	}
	if (err == ENOENT)
		return found ? CP_ANSWER_WRONG : CP_ANSWER_EXPECTED_ERR;
	return CP_ANSWER_ERROR;
}
