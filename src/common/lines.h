/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The line protocol memattr script and memattr vsm-script share: one command
 * per line, '#' starts a comment, tokens split by white space, a line that
 * does not parse answered "error syntax LINE: WHY" (docs/script.md,
 * docs/vsm.md).
 */
#ifndef MEMATTR_COMMON_LINES_H
#define MEMATTR_COMMON_LINES_H

#include <stdbool.h>
#include <stdio.h>

/**
 * struct line_cmd - one command
 * @name: its first token
 * @run: runs it; false when its line does not parse
 * @usage: the command as the docs write it ("set L ADDR SIZE ATTRS [FLAGS]"),
 *	for the answer to a line that does not parse
 */
struct line_cmd {
	const char *name;
	bool (*run)(void *ctx, char **tok, int n);
	const char *usage;
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
 * @config_usage: config as the docs write it, as &struct line_cmd's @usage
 * @cmds: the other commands; the first of them to run ends the config phase
 * @ncmds: how many
 * @echo: print each command as "> ..." (comment lines as they are) first
 * @name: the command's name for the one line on stderr when a script stops
 */
struct line_proto {
	enum line_config (*config)(void *ctx, char **tok, int n);
	const char *config_usage;
	const struct line_cmd *cmds;
	size_t ncmds;
	bool echo;
	const char *name;
};

/**
 * lines_run() - run every line of @in, answers to @out
 * @in: the script
 * @out: where commands and "error syntax LINE: WHY" answers go
 * @p: the protocol
 * @ctx: passed to every command
 *
 * A line with a NUL byte, over 8,192 tokens, an unknown command or a command
 * that does not parse is answered "error syntax LINE: WHY" (what is wrong;
 * for a command, the usage it did not follow) and the run goes on.  A config
 * line that does not parse or is refused, a second one, or one after other
 * commands stops the run, with the reason on @out (a refused config prints
 * its own) and one line on stderr: the rest would run on a configuration the
 * script did not ask for.
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
