// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The memattr script interpreter: a line protocol over the store and its
 * KVM-shaped front, for examples and black-box tests; `memattr script` runs
 * it on a file, fuzz_script on arbitrary bytes.  The grammar is in
 * docs/script.md.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <memattr/kvm.h>
#include <memattr/memattr.h>

#include "lines.h"
#include "number.h"
#include "script.h"

struct script {
	struct memattr_store *store;
	struct memattr_config cfg;
	uint64_t work_limit;
	FILE *out;
};

static bool parse_all(char **tok, int n, uint64_t *v)
{
	for (int i = 0; i < n; i++)
		if (!number_parse_str(tok[i], &v[i]))
			return false;
	return true;
}

static unsigned int as_layer(uint64_t v)
{
	/* Anything too big is just as invalid as MEMATTR_MAX_LAYERS itself. */
	return v < MEMATTR_MAX_LAYERS ? (unsigned int)v : MEMATTR_MAX_LAYERS;
}

static void print_error(FILE *out, int err)
{
	const char *name = strerrorname_np(-err);

	fprintf(out, "error %s\n", name ? name : "EIO");
}

static int print_run(void *opaque, uint64_t start, uint64_t end, uint64_t value)
{
	FILE *out = opaque;

	if (value)
		fprintf(out, "0x%llx 0x%llx 0x%llx\n", (unsigned long long)start,
			(unsigned long long)end, (unsigned long long)value);
	return 0;
}

static int store_open(struct script *sc)
{
	memattr_store_destroy(sc->store);
	sc->store = NULL;
	return memattr_store_create(&sc->cfg, &sc->store);
}

/* config layers=N gpa_bits=B [mbec=0|1] */
static enum line_config do_config(void *ctx, char **tok, int n)
{
	struct script *sc = ctx;
	struct memattr_config cfg = sc->cfg;
	uint64_t mbec = cfg.flags & MEMATTR_F_MBEC ? 1 : 0;
	unsigned int seen = 0;

	for (int i = 1; i < n; i++) {
		static const char *const keys[] = { "layers=", "gpa_bits=", "mbec=" };
		unsigned int k;
		uint64_t v;

		for (k = 0; k < 3; k++)
			if (!strncmp(tok[i], keys[k], strlen(keys[k])))
				break;
		if (k == 3 || (seen & (1U << k)) || !number_parse_str(tok[i] + strlen(keys[k]), &v))
			return LINE_CONFIG_SYNTAX;
		seen |= 1U << k;
		if (v > 0xffff)
			v = 0xffff; /* out of range for every key */
		if (k == 0)
			cfg.layers = (unsigned int)v;
		else if (k == 1)
			cfg.gpa_bits = (unsigned int)v;
		else
			mbec = v;
	}
	if (!seen)
		return LINE_CONFIG_SYNTAX;
	if (cfg.layers < 1 || cfg.layers > MEMATTR_MAX_LAYERS) {
		fprintf(sc->out, "error EINVAL: layers must be 1..%d\n", MEMATTR_MAX_LAYERS);
		return LINE_CONFIG_REFUSED;
	}
	if (cfg.gpa_bits < 12 || cfg.gpa_bits > 64) {
		fprintf(sc->out, "error EINVAL: gpa_bits must be 12..64\n");
		return LINE_CONFIG_REFUSED;
	}
	if (mbec > 1) {
		fprintf(sc->out, "error EINVAL: mbec must be 0 or 1\n");
		return LINE_CONFIG_REFUSED;
	}
	cfg.flags = mbec ? MEMATTR_F_MBEC : 0;

	struct memattr_store *probe;
	int ret = memattr_store_create(&cfg, &probe);

	if (ret) {
		print_error(sc->out, ret);
		return LINE_CONFIG_REFUSED;
	}
	memattr_store_destroy(sc->store);
	sc->store = probe;
	sc->cfg = cfg;
	return LINE_CONFIG_OK;
}

static bool do_set(void *ctx, char **tok, int n)
{
	struct script *sc = ctx;
	struct memattr_kvm_attributes a = { 0 };
	uint64_t v[5] = { 0 };
	int ret;

	if ((n != 5 && n != 6) || !parse_all(tok + 1, n - 1, v))
		return false;
	a.address = v[1];
	a.size = v[2];
	a.attributes = v[3];
	a.flags = v[4];
	ret = memattr_kvm_set_attributes(sc->store, as_layer(v[0]), &a, sc->work_limit);
	if (ret)
		print_error(sc->out, ret);
	else
		fprintf(sc->out, "ok 0x%llx 0x%llx\n", (unsigned long long)a.address,
			(unsigned long long)a.size);
	return true;
}

static bool do_get(void *ctx, char **tok, int n)
{
	struct script *sc = ctx;
	uint64_t v[2];
	int ret;

	if (n != 3 || !parse_all(tok + 1, 2, v))
		return false;
	ret = memattr_get(sc->store, as_layer(v[0]), v[1]);
	if (ret < 0)
		print_error(sc->out, ret);
	else
		fprintf(sc->out, "0x%x\n", ret);
	return true;
}

static bool do_extent(void *ctx, char **tok, int n)
{
	struct script *sc = ctx;
	struct memattr_extent e;
	uint64_t v[2];
	int ret;

	if (n != 3 || !parse_all(tok + 1, 2, v))
		return false;
	ret = memattr_extent(sc->store, as_layer(v[0]), v[1], &e);
	if (ret < 0)
		print_error(sc->out, ret);
	else
		fprintf(sc->out, "0x%llx 0x%llx 0x%llx 0x%x\n", (unsigned long long)e.value,
			(unsigned long long)e.start, (unsigned long long)e.end, e.order);
	return true;
}

static bool do_has(void *ctx, char **tok, int n)
{
	struct script *sc = ctx;
	uint64_t v[5];
	int ret;

	if (n != 6 || !parse_all(tok + 1, 5, v))
		return false;
	ret = memattr_range_has(sc->store, as_layer(v[0]), v[1], v[2], v[3], v[4]);
	if (ret < 0)
		print_error(sc->out, ret);
	else
		fprintf(sc->out, "%s\n", ret ? "yes" : "no");
	return true;
}

static bool do_dump(void *ctx, char **tok, int n)
{
	struct script *sc = ctx;
	uint64_t layer;
	int ret;

	if (n != 2 || !number_parse_str(tok[1], &layer))
		return false;
	ret = memattr_runs(sc->store, as_layer(layer), 0,
			   1ULL << (memattr_gpa_bits(sc->store) - MEMATTR_PAGE_SHIFT), print_run,
			   sc->out);
	if (ret < 0)
		print_error(sc->out, ret);
	else
		fprintf(sc->out, "end\n");
	return true;
}

static bool do_supported(void *ctx, char **tok, int n)
{
	struct script *sc = ctx;

	(void)tok;
	if (n != 1)
		return false;
	fprintf(sc->out, "supported 0x%llx\n", (unsigned long long)memattr_supported(sc->store));
	return true;
}

static const struct line_cmd commands[] = {
	{ "supported", do_supported, "supported" },
	{ "set", do_set, "set L ADDR SIZE ATTRS [FLAGS]" },
	{ "get", do_get, "get L GFN" },
	{ "extent", do_extent, "extent L GFN" },
	{ "has", do_has, "has L START END MASK VALUE" },
	{ "dump", do_dump, "dump L" },
};

int script_run(FILE *in, FILE *out, uint64_t work_limit)
{
	struct script sc = {
		.cfg = { .layers = MEMATTR_DEFAULT_LAYERS, .gpa_bits = MEMATTR_DEFAULT_GPA_BITS },
		.work_limit = work_limit,
		.out = out,
	};
	const struct line_proto proto = {
		.config = do_config,
		.config_usage = "config layers=N gpa_bits=B [mbec=0|1]",
		.cmds = commands,
		.ncmds = sizeof(commands) / sizeof(commands[0]),
		.name = "script",
	};
	int ret = store_open(&sc);

	if (ret)
		return ret;
	ret = lines_run(in, out, &proto, &sc);
	memattr_store_destroy(sc.store);
	return ret;
}
