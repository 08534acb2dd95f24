// SPDX-License-Identifier: GPL-2.0
/*
 * cacheproxy-loaderd: the SQLite backend, "sqlite:PATH". The database has
 * a table kv(key TEXT PRIMARY KEY, value BLOB); a key is looked up as TEXT
 * with "SELECT value FROM kv WHERE key = ?". Each thread opens the file
 * read-only on a connection of its own (no shared cache, no mutex), so the
 * daemon never writes to it; another program may update it meanwhile (a
 * write lock is waited for up to --timeout-ms, then the lookup fails EIO).
 *
 * Values: a BLOB or TEXT as its bytes, a number as its text; a NULL value
 * counts as no value (ENOENT), as a missing row does.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include <linux/cacheproxy.h>

#include "loaderd.h"

/*
 * Debian's libsqlite3.a can load extensions, and a static link that may
 * call dlopen() is warned about: the Makefile links a copy of the library
 * whose dl*() calls come here instead. The daemon loads no extension (they
 * are off unless enabled), so these only ever fail.
 */
void *ld_sqlite_dlopen(const char *file, int mode);
void *ld_sqlite_dlsym(void *handle, const char *name);
int ld_sqlite_dlclose(void *handle);
char *ld_sqlite_dlerror(void);

void *ld_sqlite_dlopen(const char *file, int mode)
{
	(void)file;
	(void)mode;
	return NULL;
}

void *ld_sqlite_dlsym(void *handle, const char *name)
{
	(void)handle;
	(void)name;
	return NULL;
}

int ld_sqlite_dlclose(void *handle)
{
	(void)handle;
	return 0;
}

char *ld_sqlite_dlerror(void)
{
	return (char *)"extensions cannot be loaded (" LD_PROG " is static)";
}

#define SQ_QUERY	"SELECT value FROM kv WHERE key = ?1"

struct sq_conn {
	sqlite3 *db;
	sqlite3_stmt *get;
};

static int sq_parse(const char *arg, void **cfg, char *err, size_t err_size)
{
	if (!*arg) {
		snprintf(err, err_size, "sqlite: needs a PATH (sqlite:PATH)");
		return -1;
	}
	*cfg = (void *)arg;
	return 0;
}

static int sq_open(void *cfg, int timeout_ms, void **conn, char *err,
		   size_t err_size)
{
	const char *path = cfg;
	struct sq_conn *c = calloc(1, sizeof(*c));
	int rc;

	if (!c) {
		snprintf(err, err_size, "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	rc = sqlite3_open_v2(path, &c->db,
			     SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(c->db, timeout_ms);
		rc = sqlite3_prepare_v3(c->db, SQ_QUERY, -1,
					SQLITE_PREPARE_PERSISTENT, &c->get,
					NULL);
	}
	if (rc != SQLITE_OK) {
		/* "unable to open database file", "no such table: kv", ... */
		snprintf(err, err_size, "%s",
			 c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
		sqlite3_close(c->db);
		free(c);
		return rc == SQLITE_NOMEM ? -ENOMEM : -EIO;
	}
	*conn = c;
	return 0;
}

static int sq_get(void *conn, const char *key, size_t key_len, char *val,
		  size_t *val_len, char *err, size_t err_size)
{
	struct sq_conn *c = conn;
	const void *blob;
	int rc, ret;
	int len;

	rc = sqlite3_bind_text(c->get, 1, key, (int)key_len, SQLITE_STATIC);
	if (rc != SQLITE_OK)
		goto fail;
	rc = sqlite3_step(c->get);
	if (rc == SQLITE_DONE) {
		ret = -ENOENT;
	} else if (rc != SQLITE_ROW) {
		goto fail;
	} else if (sqlite3_column_type(c->get, 0) == SQLITE_NULL) {
		ret = -ENOENT;
	} else {
		/* The bytes first, then their number (SQLite's advice). */
		blob = sqlite3_column_blob(c->get, 0);
		len = sqlite3_column_bytes(c->get, 0);
		if (!blob && len) {	/* out of memory converting */
			rc = SQLITE_NOMEM;
			goto fail;
		}
		*val_len = (size_t)len;
		if (*val_len > CACHEPROXY_VALUE_MAX) {
			ret = -EFBIG;
		} else {
			if (len)
				memcpy(val, blob, (size_t)len);
			ret = 0;
		}
	}
	sqlite3_reset(c->get);
	sqlite3_clear_bindings(c->get);
	return ret;
fail:
	snprintf(err, err_size, "sqlite: %s",
		 rc == SQLITE_NOMEM ? sqlite3_errstr(rc) :
		 sqlite3_errmsg(c->db));
	sqlite3_reset(c->get);
	sqlite3_clear_bindings(c->get);
	return -EIO;
}

static void sq_close(void *conn)
{
	struct sq_conn *c = conn;

	sqlite3_finalize(c->get);
	sqlite3_close(c->db);
	free(c);
}

const struct ld_backend_ops ld_sqlite_ops = {
	.name = "sqlite",
	.parse = sq_parse,
	.open = sq_open,
	.get = sq_get,
	.close = sq_close,
};
