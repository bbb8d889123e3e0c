// SPDX-License-Identifier: LGPL-2.1-or-later
/* The line protocol of memattr script and memattr vsm-script (lines.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "lines.h"

#define MAX_TOKENS 8192 /* a rep list of one input page has 510 GPAs */

struct tokens {
	char **t;
	size_t n, cap;
};

/* Split @line (comment cut off) into @tk; false when it has too many tokens or memory ran out. */
static bool tokenize(char *line, struct tokens *tk)
{
	char *save = NULL;

	tk->n = 0;
	line[strcspn(line, "#")] = '\0';
	for (char *t = strtok_r(line, " \t\r\n\v\f", &save); t;
	     t = strtok_r(NULL, " \t\r\n\v\f", &save)) {
		if (tk->n == tk->cap) {
			size_t cap = tk->cap ? tk->cap * 2 : 16;
			char **grown;

			if (cap > MAX_TOKENS)
				return false;
			grown = realloc(tk->t, cap * sizeof(*grown));
			if (!grown)
				return false;
			tk->t = grown;
			tk->cap = cap;
		}
		tk->t[tk->n++] = t;
	}
	return true;
}

static bool run_line(const struct line_proto *p, void *ctx, char *line, struct tokens *tk,
		     bool *started)
{
	int n;

	if (!tokenize(line, tk))
		return false;
	if (!tk->n)
		return true;
	n = (int)tk->n;
	if (p->config && !strcmp(tk->t[0], "config"))
		return p->config(ctx, tk->t, n, *started);
	for (size_t i = 0; i < p->ncmds; i++) {
		if (strcmp(tk->t[0], p->cmds[i].name) != 0)
			continue;
		*started = true;
		return p->cmds[i].run(ctx, tk->t, n);
	}
	return false;
}

/* With echo: comment lines as they are, commands as "> ..." before their answers. */
static void echo_line(FILE *out, const char *line)
{
	size_t skip = strspn(line, " \t"), len = strcspn(line, "\r\n");

	if (skip == len)
		return;
	fprintf(out, "%s%.*s\n", line[skip] == '#' ? "" : "> ", (int)(len - skip), line + skip);
}

int lines_run(FILE *in, FILE *out, const struct line_proto *p, void *ctx)
{
	struct tokens tk = { 0 };
	unsigned long long lineno = 0;
	bool started = false;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int failed = 0;

	while ((len = getline(&line, &cap, in)) != -1) {
		lineno++;
		if (p->echo)
			echo_line(out, line);
		/* A NUL inside a line would hide the rest of it: refuse the line. */
		if (strlen(line) != (size_t)len || !run_line(p, ctx, line, &tk, &started)) {
			fprintf(out, "error syntax %llu\n", lineno);
			failed = 1;
		}
	}
	free(tk.t);
	free(line);
	/* getline() also stops without EOF when it cannot grow the line. */
	return ferror(in) || !feof(in) ? -EIO : failed;
}
