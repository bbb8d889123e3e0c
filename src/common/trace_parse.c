// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Reading a trace back for replay: the `config` and `set` lines of the
 * memattr script grammar (docs/script.md), parsed in one pass over the
 * buffer so that replay times the store, not stdio.  Anything else a script
 * may hold (get, dump, ...) is refused with its line number.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <memattr/memattr.h>

#include "trace.h"
#include "number.h"

#define MAX_TOKENS 8

struct cursor {
	const char *p;
	const char *end;
	unsigned long long line;
	char *err;
	size_t errlen;
};

static int fail(struct cursor *c, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(c->err, c->errlen, "line %llu: ", c->line);

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < c->errlen)
		vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static bool is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f';
}

struct token {
	const char *s;
	size_t len;
};

static bool tok_is(const struct token *t, const char *word)
{
	return t->len == strlen(word) && !memcmp(t->s, word, t->len);
}

static int do_config(struct cursor *c, struct replay_trace *t, const struct token *tok, int n)
{
	static const char *const keys[] = { "layers=", "gpa_bits=", "mbec=" };
	unsigned int seen = 0;

	if (n < 2)
		return fail(c, "config needs layers=N and/or gpa_bits=B");
	for (int i = 1; i < n; i++) {
		unsigned int k;
		uint64_t v;

		for (k = 0; k < 3; k++)
			if (tok[i].len > strlen(keys[k]) &&
			    !memcmp(tok[i].s, keys[k], strlen(keys[k])))
				break;
		if (k == 3 || (seen & (1U << k)))
			return fail(c, "bad or repeated config key '%.*s'", (int)tok[i].len,
				    tok[i].s);
		seen |= 1U << k;
		if (!number_parse(tok[i].s + strlen(keys[k]), tok[i].len - strlen(keys[k]), &v))
			return fail(c, "bad number in '%.*s'", (int)tok[i].len, tok[i].s);
		if (k == 0 && (v < 1 || v > MEMATTR_MAX_LAYERS))
			return fail(c, "layers must be 1..%d", MEMATTR_MAX_LAYERS);
		if (k == 1 && (v < MEMATTR_MIN_GPA_BITS || v > MEMATTR_MAX_GPA_BITS))
			return fail(c, "gpa_bits must be %d..%d", MEMATTR_MIN_GPA_BITS,
				    MEMATTR_MAX_GPA_BITS);
		if (k == 2 && v > 1)
			return fail(c, "mbec must be 0 or 1");
		if (k == 0)
			t->layers = (unsigned int)v;
		else if (k == 1)
			t->gpa_bits = (unsigned int)v;
		else
			t->mbec = v;
	}
	return 0;
}

static int do_set(struct cursor *c, struct replay_trace *t, const struct token *tok, int n)
{
	uint64_t v[5] = { 0 };
	struct replay_op *op;

	if (n != 5 && n != 6)
		return fail(c, "set takes LAYER ADDR SIZE ATTRS [FLAGS]");
	for (int i = 1; i < n; i++)
		if (!number_parse(tok[i].s, tok[i].len, &v[i - 1]))
			return fail(c, "bad number '%.*s'", (int)tok[i].len, tok[i].s);
	if (v[0] >= t->layers)
		return fail(c, "layer %llu beyond the %u configured", (unsigned long long)v[0],
			    t->layers);
	if (t->nops == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 4096;
		struct replay_op *ops = realloc(t->ops, cap * sizeof(*ops));

		if (!ops)
			return -ENOMEM;
		t->ops = ops;
		t->cap = cap;
	}
	op = &t->ops[t->nops++];
	op->layer = (uint32_t)v[0];
	op->address = v[1];
	op->size = v[2];
	op->attributes = v[3];
	op->flags = v[4];
	op->line = c->line > UINT32_MAX ? UINT32_MAX : (uint32_t)c->line;
	return 0;
}

static int do_line(struct cursor *c, struct replay_trace *t, const char *p, const char *eol)
{
	struct token tok[MAX_TOKENS];
	int n = 0;

	while (p < eol && *p != '#') {
		const char *s;

		if (is_space(*p)) {
			p++;
			continue;
		}
		if (!*p)
			return fail(c, "NUL byte");
		if (n == MAX_TOKENS)
			return fail(c, "too many words");
		s = p;
		while (p < eol && *p && *p != '#' && !is_space(*p))
			p++;
		tok[n].s = s;
		tok[n++].len = (size_t)(p - s);
	}
	if (!n)
		return 0;
	if (tok_is(&tok[0], "set"))
		return do_set(c, t, tok, n);
	if (tok_is(&tok[0], "config")) {
		if (t->nops)
			return fail(c, "config only before other commands");
		return do_config(c, t, tok, n);
	}
	return fail(c, "replay takes only config and set lines, not '%.*s'", (int)tok[0].len,
		    tok[0].s);
}

/**
 * trace_parse() - read the config and set lines of a memattr script
 * @buf: the script
 * @len: its length
 * @t: the ops; free with replay_trace_free()
 * @err: on -EINVAL, a message with the line number
 * @errlen: size of @err
 *
 * Return: 0, -EINVAL (a line that is not config or set, or does not parse),
 * -ENOMEM.
 */
int trace_parse(const char *buf, size_t len, struct replay_trace *t, char *err, size_t errlen)
{
	struct cursor c = { .p = buf, .end = buf + len, .err = err, .errlen = errlen };
	int ret = 0;

	memset(t, 0, sizeof(*t));
	t->layers = MEMATTR_DEFAULT_LAYERS;
	t->gpa_bits = MEMATTR_DEFAULT_GPA_BITS;
	while (c.p < c.end && !ret) {
		const char *eol = memchr(c.p, '\n', (size_t)(c.end - c.p));

		if (!eol)
			eol = c.end;
		c.line++;
		if (memchr(c.p, '\0', (size_t)(eol - c.p)))
			ret = fail(&c, "NUL byte");
		else
			ret = do_line(&c, t, c.p, eol);
		c.p = eol + 1;
	}
	if (ret == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	if (ret)
		replay_trace_free(t);
	return ret;
}

/** replay_trace_free() - release what trace_parse() allocated. */
void replay_trace_free(struct replay_trace *t)
{
	free(t->ops);
	t->ops = NULL;
	t->nops = t->cap = 0;
}
