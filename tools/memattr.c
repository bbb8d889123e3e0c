// SPDX-License-Identifier: LGPL-2.1-or-later
/* memattr: the command-line front of libmemattr; each subcommand lives in its own file. */
#include <stdio.h>
#include <string.h>

#include "cmd.h"

static const struct cmd cmds[] = {
	{ "script", cmd_script, "script [FILE]      run a memattr script (stdin without FILE)" },
	{ "gen", cmd_gen, "gen [OPTIONS]      write a seeded VSM boot trace (docs/trace.md)" },
	{ "replay", cmd_replay, "replay TRACE       apply a trace, print speed and memory" },
	{ "bench", cmd_bench,
	  "bench [--json] [--quick] [--kvm] ...  the store against its baselines" },
	{ "vm", cmd_vm,
	  "vm [--exec] [--intercepts N] [--memslots] [--bench N] ...  the VSM demo on KVM" },
	{ "vsm-script", cmd_vsm_script,
	  "vsm-script [FILE]  run a Hyper-V VSM script (docs/vsm.md)" },
};

#ifndef MEMATTR_VERSION
#define MEMATTR_VERSION "unknown"
#endif

static int usage(FILE *f)
{
	fprintf(f, "usage: memattr COMMAND [ARGS]\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  memattr %s\n", cmds[i].usage);
	fprintf(f, "memattr COMMAND --help shows a command's options; memattr --version its "
		   "version\n");
	return f == stdout ? 0 : 2;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage(stderr);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help"))
		return usage(stdout);
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("memattr %s\n", MEMATTR_VERSION);
		return fflush(stdout) ? 1 : 0;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].run(argc - 1, argv + 1);
	fprintf(stderr, "memattr: unknown command '%s' (memattr --help lists them)\n", argv[1]);
	return 2;
}
