/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The line protocol memattr script and memattr vsm-script share: one command
 * per line, '#' starts a comment, tokens split by white space, a line that
 * does not parse answered "error syntax LINE" (docs/script.md, docs/vsm.md).
 */
#ifndef MEMATTR_TOOLS_LINES_H
#define MEMATTR_TOOLS_LINES_H

#include <stdbool.h>
#include <stdio.h>

/* One command: false when its line does not parse. */
struct line_cmd {
	const char *name;
	bool (*run)(void *ctx, char **tok, int n);
};

/**
 * struct line_proto - a protocol's commands
 * @config: the "config" command, allowed before any other (NULL: none)
 * @cmds: the other commands; the first of them to run ends the config phase
 * @ncmds: how many
 * @echo: print each command as "> ..." (comment lines as they are) first
 */
struct line_proto {
	bool (*config)(void *ctx, char **tok, int n, bool started);
	const struct line_cmd *cmds;
	size_t ncmds;
	bool echo;
};

/**
 * lines_run() - run every line of @in, answers to @out
 * @in: the script
 * @out: where commands and "error syntax LINE" answers go
 * @p: the protocol
 * @ctx: passed to every command
 *
 * A line with a NUL byte, over 8,192 tokens, an unknown command or a command
 * that does not parse is answered "error syntax LINE" and the run goes on.
 *
 * Return: 0, 1 if any line failed to parse, -EIO when @in could not be read
 * to its end (a read error, or no memory for a line).
 */
int lines_run(FILE *in, FILE *out, const struct line_proto *p, void *ctx);

#endif
