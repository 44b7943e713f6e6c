/* args.c - see args.h. */
#include "cli/args.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "cli/cli.h"

enum { ARG_HELP_VAL = 0x10000, ARG_LONG_BASE = 0x10001 }; /* getopt values of long-only options */
#define ARG_MAX 64                                         /* options in one table */

static const arg_opt arg_help_opt = ARG_FLAG("help", 'h', NULL, "this help");

static int arg_count(const arg_opt *o) {
    int n = 0;
    while (o[n].name) n++;
    return n;
}

int arg_error(const arg_spec *s, const char *fmt, ...) {
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    cli_error(0, s->cmd, "%s", buf); /* the text may quote an argument: cleaned for the terminal */
    arg_usage_hint(s, stderr);
    return CLI_USAGE;
}

/* x lies in o's range: [lo, hi], or (lo, hi] with ARG_OPEN_LO */
static int arg_in_range(const arg_opt *o, double x) {
    return x >= o->lo && x <= o->hi && !((o->flags & ARG_OPEN_LO) && x == o->lo);
}

/* "option --x: V is not in [lo, hi]" ("(lo, hi]", ">= lo", "> lo"); CLI_USAGE */
static int arg_range_error(const arg_spec *s, const arg_opt *o, const char *v) {
    int open = o->flags & ARG_OPEN_LO;
    if (isinf(o->hi)) return arg_error(s, "option --%s: %s is not %s %.15g", o->name, v, open ? ">" : ">=", o->lo);
    return arg_error(s, "option --%s: %s is not in %c%.15g, %.15g]", o->name, v, open ? '(' : '[', o->lo, o->hi);
}

int arg_to_long(const char *s, long *out) {
    char *end;
    errno = 0;
    long x = strtol(s, &end, 10);
    if (errno || end == s || *end) return -1;
    *out = x;
    return 0;
}

int arg_to_double(const char *s, double *out) {
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (errno || end == s || *end || isnan(x)) return -1;
    *out = x;
    return 0;
}

static int arg_value(const arg_spec *s, const arg_opt *o, const char *v) {
    switch (o->kind) {
    case ARG_K_FLAG: *(int *)o->dst = 1; return 0;
    case ARG_K_STR: *(const char **)o->dst = v; return 0;
    case ARG_K_STRS: {
        arg_strs *l = o->dst;
        l->v = ut_realloc(l->v, (size_t)(l->n + 1) * sizeof *l->v);
        l->v[l->n++] = v;
        return 0;
    }
    case ARG_K_LONG: {
        long x;
        if (arg_to_long(v, &x)) return arg_error(s, "option --%s: '%s' is not an integer", o->name, v);
        if (!arg_in_range(o, (double)x)) return arg_range_error(s, o, v);
        *(long *)o->dst = x;
        return 0;
    }
    case ARG_K_DOUBLE: {
        double x;
        if (arg_to_double(v, &x)) return arg_error(s, "option --%s: '%s' is not a number", o->name, v);
        if (!arg_in_range(o, x)) return arg_range_error(s, o, v);
        *(double *)o->dst = x;
        return 0;
    }
    case ARG_K_CHOICE: {
        char names[512] = "";
        for (int i = 0; o->choices[i]; i++) {
            if (!strcmp(v, o->choices[i])) {
                *(int *)o->dst = i;
                return 0;
            }
            size_t l = strlen(names);
            snprintf(names + l, sizeof names - l, "%s%s", i ? ", " : "", o->choices[i]);
        }
        return arg_error(s, "option --%s: '%s' is not one of %s", o->name, v, names);
    }
    case ARG_K_FN:
        if (o->fn(s->cmd, v, o->dst) < 0) {
            arg_usage_hint(s, stderr);
            return CLI_USAGE;
        }
        return 0;
    }
    return 0;
}

/* the operand count check */
static int arg_operands(const arg_spec *s, int n, char **rest) {
    const char *what = s->operand ? s->operand : "argument";
    if (n < s->min_operands) return arg_error(s, "missing %s", what);
    if (s->max_operands >= 0 && n > s->max_operands) {
        if (s->max_operands == 0) return arg_error(s, "unexpected argument '%s'", rest[0]);
        if (s->max_operands == 1) return arg_error(s, "expected one %s, got %d", what, n);
        return arg_error(s, "expected at most %d arguments (%s), got %d", s->max_operands, what, n);
    }
    return 0;
}

int arg_parse(const arg_spec *s, int argc, char **argv, int *first) {
    int n = arg_count(s->opts);
    if (n >= ARG_MAX) return arg_error(s, "too many options in the table");
    struct option lo[ARG_MAX + 2];
    char shorts[3 * ARG_MAX + 4] = ":h";
    for (int i = 0; i < n; i++) {
        const arg_opt *o = &s->opts[i];
        int has = o->kind != ARG_K_FLAG;
        lo[i] = (struct option){o->name, has ? required_argument : no_argument, NULL, ARG_LONG_BASE + i};
        if (o->shortc) {
            size_t l = strlen(shorts);
            shorts[l] = (char)o->shortc;
            if (has) shorts[++l] = ':';
            shorts[l + 1] = 0;
        }
    }
    lo[n] = (struct option){"help", no_argument, NULL, ARG_HELP_VAL};
    lo[n + 1] = (struct option){0, 0, 0, 0};
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
        const arg_opt *o = NULL;
        if (c == 'h' || c == ARG_HELP_VAL) {
            arg_help(s, stdout);
            return CLI_OK;
        }
        if (c == '?' || c == ':') {
            const char *what = argv[optind - 1];
            char sh[3] = {'-', (char)optopt, 0};
            if (optopt > 0 && optopt < 128) what = sh; /* a short option; else argv names it */
            return c == ':' ? arg_error(s, "option %s needs a value", what) : arg_error(s, "unknown option %s", what);
        }
        if (c >= ARG_LONG_BASE) o = &s->opts[c - ARG_LONG_BASE];
        else
            for (int i = 0; i < n && !o; i++)
                if (s->opts[i].shortc == c) o = &s->opts[i];
        if (!o) continue;
        int rc = arg_value(s, o, optarg);
        if (rc) return rc;
    }
    int rc = arg_operands(s, argc - optind, argv + optind);
    if (rc) return rc;
    *first = optind;
    return ARG_GO;
}

static void arg_line(const arg_opt *o, FILE *f) {
    char left[96];
    if (o->shortc) snprintf(left, sizeof left, "-%c, --%s%s%s", o->shortc, o->name, o->meta ? " " : "", o->meta ? o->meta : "");
    else snprintf(left, sizeof left, "--%s%s%s", o->name, o->meta ? " " : "", o->meta ? o->meta : "");
    fprintf(f, "  %-24s", left);
    if (strlen(left) > 24) fprintf(f, "\n  %-24s", "");
    for (const char *p = o->help; *p; p++) {
        fputc(*p, f);
        if (*p == '\n') fprintf(f, "  %-24s", "");
    }
    fputc('\n', f);
}

void arg_help(const arg_spec *s, FILE *f) {
    fprintf(f, "usage: recad %s %s\n", s->cmd, s->synopsis);
    if (s->about) fprintf(f, "%s\n", s->about);
    fprintf(f, "\noptions:\n");
    for (const arg_opt *o = s->opts; o->name; o++) arg_line(o, f);
    arg_line(&arg_help_opt, f);
    if (s->footer) fprintf(f, "\n%s", s->footer);
}

void arg_usage_hint(const arg_spec *s, FILE *f) {
    fprintf(f, "usage: recad %s %s\n(recad %s --help lists the options)\n", s->cmd, s->synopsis, s->cmd);
}
