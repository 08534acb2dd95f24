/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cacheproxy-stress --expect FILE: the contents of the database behind a
 * loader daemon (loader=user), against which every answer is judged
 * instead of the synthetic loader's contract (verify.h):
 *   - a key FILE holds must answer exactly its value;
 *   - any other key must fail with ENOENT.
 *
 * FILE: one key a line, KEY, a tab, VALUE (the last newline may be left
 * out). In KEY and VALUE "\\", "\t", "\n" and "\xHH" stand for a
 * backslash, a tab, a newline and any byte; any other byte stands for
 * itself. A key is at least one byte; it may not come twice.
 */
#ifndef _CP_EXPECT_H
#define _CP_EXPECT_H

#include <stdbool.h>
#include <stddef.h>

#include "verify.h"

struct cp_expect;

/*
 * Parses @len bytes of @buf, which the table keeps and unescapes in place
 * (it frees it with the table, and on failure). @name names the buffer in
 * messages. Returns the table, or NULL after writing one line, "NAME:LINE:
 * <problem>", to @err.
 */
struct cp_expect *cp_expect_parse(char *buf, size_t len, const char *name,
				  char *err, size_t err_size);
/* cp_expect_parse() of the whole file @path. */
struct cp_expect *cp_expect_load(const char *path, char *err,
				 size_t err_size);
void cp_expect_free(struct cp_expect *e);
size_t cp_expect_count(const struct cp_expect *e);

/* The value FILE gives @key: true with @val and @val_len set, or false. */
bool cp_expect_find(const struct cp_expect *e, const char *key,
		    size_t key_len, const char **val, size_t *val_len);

/*
 * Judge one answer as cp_verify_answer() does, against @e: @err is 0
 * (success, @val holds the value) or the positive errno the lookup failed
 * with. A value other than FILE's, a value for a key FILE lacks, and
 * ENOENT for a key FILE holds are CP_ANSWER_WRONG; ENOENT for a key FILE
 * lacks is CP_ANSWER_EXPECTED_ERR; any other errno is CP_ANSWER_ERROR.
 */
enum cp_verdict cp_expect_verify(const struct cp_expect *e, const char *key,
				 size_t key_len, int err, const char *val,
				 size_t val_len);

#endif /* _CP_EXPECT_H */
