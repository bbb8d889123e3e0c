// SPDX-License-Identifier: LGPL-2.1-or-later
/* memattr bench's output: a table with ratios and PASS/FAIL, or the same as JSON. */
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bench.h"

static const char *const impl_names[NIMPL] = { "store",		  "flat array",
					       "Judy (per page)", "kernel XArray (KVM)",
					       "KVM memslots",	  "2-level table" };
static const char *const impl_keys[NIMPL] = { "store",	"flat",	   "judy",
					      "xarray", "memslot", "twolevel" };
static const char *const unit_keys[] = { "ns", "bytes", "count" };
static const char *const status_names[] = { "PASS", "FAIL", "SKIP", "REF" };

#define NAME_W 44
#define CELL_W 24

static void cpu_model(char *buf, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256];

	snprintf(buf, len, "unknown CPU");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (!strncmp(line, "model name", 10) && colon) {
			snprintf(buf, len, "%s", colon + 2);
			buf[strcspn(buf, "\n")] = '\0';
			break;
		}
	}
	fclose(f);
}

static void value_str(char *buf, size_t len, enum unit u, double v)
{
	static const char *const bytes[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	int k = 0;

	switch (u) {
	case UNIT_NS:
		if (v < 1e3)
			snprintf(buf, len, "%.1f ns", v);
		else if (v < 1e6)
			snprintf(buf, len, "%.2f us", v / 1e3);
		else if (v < 1e9)
			snprintf(buf, len, "%.2f ms", v / 1e6);
		else
			snprintf(buf, len, "%.2f s", v / 1e9);
		break;
	case UNIT_BYTES:
		while (v >= 1024 && k < 4) {
			v /= 1024;
			k++;
		}
		snprintf(buf, len, k ? "%.1f %s" : "%.0f %s", v, bytes[k]);
		break;
	default:
		snprintf(buf, len, "%.0f", v);
	}
}

static void ratio_str(char *buf, size_t len, double r)
{
	if (r >= 100)
		snprintf(buf, len, "%.3gx", r);
	else
		snprintf(buf, len, "%.2fx", r);
	if (r >= 1e5)
		snprintf(buf, len, "%.2gx", r);
}

/* Footnotes: each distinct cell note once, numbered from 1. */
struct notes {
	const char *text[MAX_ROWS * NIMPL];
	int n;
};

static int note_index(struct notes *ns, const char *text)
{
	for (int i = 0; i < ns->n; i++)
		if (!strcmp(ns->text[i], text))
			return i + 1;
	ns->text[ns->n++] = text;
	return ns->n;
}

/**
 * report_table() - the run as a table: figures, baseline/store ratios, targets
 * @b: the run
 * @f: where to
 */
void report_table(const struct bench *b, FILE *f)
{
	const struct trace_params *p = &b->trace.p;
	struct notes ns = { .n = 0 };
	struct utsname u;
	char cpu[128];

	cpu_model(cpu, sizeof(cpu));
	uname(&u);
	fprintf(f,
		"memattr bench%s: %llu GiB guest, %u layers, %llu single-page changes in %u "
		"batches, seed %llu\n"
		"machine: %s, %ld cores, Linux %s\n"
		"ratios in parentheses: baseline / store (above 1: the store is faster or "
		"smaller)\n\n",
		b->quick ? " --quick" : "", (unsigned long long)(p->guest_bytes >> 30), p->layers,
		(unsigned long long)p->changes, b->trace.nbatches, (unsigned long long)p->seed, cpu,
		sysconf(_SC_NPROCESSORS_ONLN), u.release);
	fprintf(f, "%-*s", NAME_W, "workload");
	for (int i = 0; i < NIMPL; i++)
		fprintf(f, "%-*s", CELL_W, impl_names[i]);
	fputc('\n', f);
	for (int r = 0; r < b->nrows; r++) {
		const struct row *row = &b->rows[r];

		fprintf(f, "%-*s", NAME_W, row->name);
		for (int i = 0; i < NIMPL; i++) {
			const struct cell *c = &row->c[i];
			char v[32], ratio[32] = "", mark[16] = "", cell[64];

			if (c->state == CELL_NONE) {
				fprintf(f, "%-*s", CELL_W, "-");
				continue;
			}
			if (c->note[0])
				snprintf(mark, sizeof(mark), " [%d]", note_index(&ns, c->note));
			if (c->state == CELL_SKIPPED) {
				snprintf(cell, sizeof(cell), "skipped%s", mark);
				fprintf(f, "%-*s", CELL_W, cell);
				continue;
			}
			value_str(v, sizeof(v), row->unit, c->v);
			if (i != IMPL_STORE && row->unit != UNIT_COUNT &&
			    row->c[IMPL_STORE].state == CELL_VALUE && row->c[IMPL_STORE].v > 0) {
				char x[24];

				ratio_str(x, sizeof(x), c->v / row->c[IMPL_STORE].v);
				snprintf(ratio, sizeof(ratio), " (%s)", x);
			}
			snprintf(cell, sizeof(cell), "%s%s%s", v, ratio, mark);
			fprintf(f, "%-*s", CELL_W, cell);
		}
		fputc('\n', f);
	}
	fputc('\n', f);
	for (int i = 0; i < ns.n; i++)
		fprintf(f, "[%d] %s\n", i + 1, ns.text[i]);
	for (int i = 0; i < b->nnotes; i++)
		fprintf(f, "note: %s\n", b->notes[i]);
	fprintf(f, "\ntargets (ratios of figures measured side by side in this run)\n");
	for (int i = 0; i < b->ntargets; i++) {
		const struct target *t = &b->targets[i];

		if (t->status == ST_SKIP)
			fprintf(f, "  SKIP  %-54s %s\n", t->what, t->why);
		else
			fprintf(f, "  %-4s  %-54s %12.4g  (limit %g)%s%s\n",
				status_names[t->status], t->what, t->ratio, t->limit,
				t->why[0] ? "  " : "", t->why);
	}
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

/**
 * report_json() - the run as one JSON object (machine, params, rows, targets, notes)
 * @b: the run
 * @f: where to
 */
void report_json(const struct bench *b, FILE *f)
{
	const struct trace_params *p = &b->trace.p;
	struct utsname u;
	char cpu[128];

	cpu_model(cpu, sizeof(cpu));
	uname(&u);
	fprintf(f, "{\n  \"machine\": {\"cpu\": ");
	json_str(f, cpu);
	fprintf(f, ", \"cores\": %ld, \"kernel\": ", sysconf(_SC_NPROCESSORS_ONLN));
	json_str(f, u.release);
	fprintf(f,
		"},\n  \"quick\": %s,\n  \"params\": {\"guest_bytes\": %llu, \"layers\": %u, "
		"\"changes\": %llu, \"batches\": %u, \"seed\": %llu, \"gpa_bits\": %u},\n"
		"  \"rows\": [\n",
		b->quick ? "true" : "false", (unsigned long long)p->guest_bytes, p->layers,
		(unsigned long long)p->changes, b->trace.nbatches, (unsigned long long)p->seed,
		p->gpa_bits);
	for (int r = 0; r < b->nrows; r++) {
		const struct row *row = &b->rows[r];

		fprintf(f, "    {\"id\": ");
		json_str(f, row->id);
		fprintf(f, ", \"name\": ");
		json_str(f, row->name);
		fprintf(f, ", \"unit\": \"%s\"", unit_keys[row->unit]);
		for (int i = 0; i < NIMPL; i++) {
			const struct cell *c = &row->c[i];

			if (c->state == CELL_NONE)
				continue;
			fprintf(f, ", \"%s\": {", impl_keys[i]);
			if (c->state == CELL_VALUE)
				fprintf(f, "\"value\": %.6g", c->v);
			else
				fprintf(f, "\"skipped\": true");
			if (c->note[0]) {
				fprintf(f, ", \"note\": ");
				json_str(f, c->note);
			}
			fputc('}', f);
		}
		fprintf(f, "}%s\n", r + 1 < b->nrows ? "," : "");
	}
	fprintf(f, "  ],\n  \"targets\": [\n");
	for (int i = 0; i < b->ntargets; i++) {
		const struct target *t = &b->targets[i];

		fprintf(f, "    {\"what\": ");
		json_str(f, t->what);
		fprintf(f, ", \"status\": \"%s\"", status_names[t->status]);
		if (t->status != ST_SKIP)
			fprintf(f, ", \"ratio\": %.6g", t->ratio);
		fprintf(f, ", \"limit\": %g, \"at_least\": %s", t->limit,
			t->at_least ? "true" : "false");
		if (t->why[0]) {
			fprintf(f, ", \"why\": ");
			json_str(f, t->why);
		}
		fprintf(f, "}%s\n", i + 1 < b->ntargets ? "," : "");
	}
	fprintf(f, "  ],\n  \"notes\": [");
	for (int i = 0; i < b->nnotes; i++) {
		fprintf(f, "%s\n    ", i ? "," : "");
		json_str(f, b->notes[i]);
	}
	fprintf(f, "\n  ]\n}\n");
}
