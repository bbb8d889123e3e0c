/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The memattr CLI's subcommands, one file each. */
#ifndef MEMATTR_TOOLS_CMD_H
#define MEMATTR_TOOLS_CMD_H

struct cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage;
};

int cmd_script(int argc, char **argv);
int cmd_gen(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_vm(int argc, char **argv);
int cmd_vsm_script(int argc, char **argv);

#endif
