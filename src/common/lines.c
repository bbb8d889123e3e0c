// SPDX-License-Identifier: LGPL-2.1-or-later
/* The line protocol of memattr script and memattr vsm-script (lines.h). */
#include <errno.h>
#include <stdio.h>
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

/* What became of a line: ran (or blank), did not parse, or stops the script. */
enum line_result { LINE_RAN, LINE_BAD, LINE_STOP };

struct run_state {
	bool started;	 /* a command other than config ran */
	bool configured; /* a config line was applied */
	bool answered;	 /* the line's command printed its own error */
	char why[192];	 /* what is wrong with the line, for its answer */
};

static enum line_result run_config(const struct line_proto *p, void *ctx, struct tokens *tk,
				   struct run_state *st)
{
	if (st->started) {
		snprintf(st->why, sizeof(st->why),
			 "config after other commands (it must come first)");
		return LINE_STOP;
	}
	if (st->configured) {
		snprintf(st->why, sizeof(st->why), "a second config (config is allowed once)");
		return LINE_STOP;
	}
	switch (p->config(ctx, tk->t, (int)tk->n)) {
	case LINE_CONFIG_OK:
		st->configured = true;
		return LINE_RAN;
	case LINE_CONFIG_SYNTAX:
		snprintf(st->why, sizeof(st->why), "config does not parse; usage: %s",
			 p->config_usage);
		return LINE_STOP;
	default:
		snprintf(st->why, sizeof(st->why), "config refused");
		st->answered = true;
		return LINE_STOP;
	}
}

static enum line_result run_line(const struct line_proto *p, void *ctx, char *line,
				 struct tokens *tk, struct run_state *st)
{
	st->why[0] = '\0';
	st->answered = false;
	if (!tokenize(line, tk)) {
		snprintf(st->why, sizeof(st->why), "over %d tokens", MAX_TOKENS);
		return LINE_BAD;
	}
	if (!tk->n)
		return LINE_RAN;
	if (p->config && !strcmp(tk->t[0], "config"))
		return run_config(p, ctx, tk, st);
	for (size_t i = 0; i < p->ncmds; i++) {
		if (strcmp(tk->t[0], p->cmds[i].name) != 0)
			continue;
		st->started = true;
		if (p->cmds[i].run(ctx, tk->t, (int)tk->n))
			return LINE_RAN;
		snprintf(st->why, sizeof(st->why), "bad arguments to %s; usage: %s",
			 p->cmds[i].name, p->cmds[i].usage);
		return LINE_BAD;
	}
	snprintf(st->why, sizeof(st->why), "unknown command '%.40s'", tk->t[0]);
	return LINE_BAD;
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
	struct run_state st = { 0 };
	struct tokens tk = { 0 };
	unsigned long long lineno = 0;
	enum line_result res = LINE_RAN;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int failed = 0, err;

	while ((len = getline(&line, &cap, in)) != -1) {
		lineno++;
		if (p->echo)
			echo_line(out, line);
		/* A NUL inside a line would hide the rest of it: refuse the line. */
		if (strlen(line) != (size_t)len) {
			snprintf(st.why, sizeof(st.why), "NUL byte in the line");
			res = LINE_BAD;
		} else {
			res = run_line(p, ctx, line, &tk, &st);
		}
		if (res == LINE_RAN)
			continue;
		failed = 1;
		if (res == LINE_BAD) {
			fprintf(out, "error syntax %llu: %s\n", lineno, st.why);
			continue;
		}
		if (!st.answered)
			fprintf(out, "error syntax %llu: %s\n", lineno, st.why);
		fprintf(stderr, "memattr %s: line %llu: %s, script stopped\n", p->name, lineno,
			st.why);
		break;
	}
	err = errno; /* getline()'s, when it stopped short of EOF */
	if (res != LINE_STOP && (ferror(in) || !feof(in)))
		failed = -(err ? err : EIO);
	free(tk.t);
	free(line);
	return failed;
}

int lines_file_run(const char *cmd, const char *path, int (*run)(FILE *in, void *ctx), void *ctx)
{
	FILE *in = stdin;
	int ret;

	if (path && strcmp(path, "-") != 0) {
		in = fopen(path, "r");
		if (!in) {
			fprintf(stderr, "%s: %s: %s\n", cmd, path, strerror(errno));
			return 2;
		}
	}
	ret = run(in, ctx);
	if (ret < 0)
		fprintf(stderr, "%s: %s: %s\n", cmd, in == stdin ? "stdin" : path, strerror(-ret));
	if (in != stdin)
		fclose(in);
	if (fflush(stdout))
		return 2;
	return ret < 0 ? 2 : ret;
}
