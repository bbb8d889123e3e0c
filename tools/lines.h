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

/* What a protocol's config command did with its line. */
enum line_config {
	LINE_CONFIG_OK,	     /* applied */
	LINE_CONFIG_SYNTAX,  /* did not parse */
	LINE_CONFIG_REFUSED, /* parsed, refused; the command printed its error */
};

/**
 * struct line_proto - a protocol's commands
 * @config: the "config" command, allowed once, before any other (NULL: none)
 * @cmds: the other commands; the first of them to run ends the config phase
 * @ncmds: how many
 * @echo: print each command as "> ..." (comment lines as they are) first
 * @reasons: answer a line that does not parse "error syntax LINE: WHY"
 * @name: the command's name for the one line on stderr when a script stops
 */
struct line_proto {
	enum line_config (*config)(void *ctx, char **tok, int n);
	const struct line_cmd *cmds;
	size_t ncmds;
	bool echo;
	bool reasons;
	const char *name;
};

/**
 * lines_run() - run every line of @in, answers to @out
 * @in: the script
 * @out: where commands and "error syntax LINE" answers go
 * @p: the protocol
 * @ctx: passed to every command
 *
 * A line with a NUL byte, over 8,192 tokens, an unknown command, a command
 * that does not parse or a config after other commands is answered
 * "error syntax LINE" and the run goes on.  A config line before any other
 * command that does not parse or is refused, or a second one, stops the run:
 * the rest would run on a configuration the script did not ask for.
 *
 * Return: 0, 1 if any line failed to parse or the run stopped, a negative
 * errno when @in could not be read to its end (the read's errno, or -ENOMEM
 * for a line too long to hold).
 */
int lines_run(FILE *in, FILE *out, const struct line_proto *p, void *ctx);

/**
 * lines_file_run() - a line-protocol subcommand run on its input file
 * @cmd: the subcommand's name on stderr, e.g. "memattr script"
 * @path: the script's path; NULL or "-" for stdin
 * @run: runs the protocol on @in to stdout, returning as lines_run()
 * @ctx: passed to @run
 *
 * A file that cannot be opened or read is one line on stderr with its path
 * (or "stdin") and the cause.
 *
 * Return: the exit status: @run's 0 or 1, or 2 when the input cannot be
 * opened or read to its end or stdout cannot be written.
 */
int lines_file_run(const char *cmd, const char *path, int (*run)(FILE *in, void *ctx), void *ctx);

#endif
