/* args.h - the option parser of every command.
 *
 * A command lists each option once, in a table: long name, short letter, kind, where the value
 * goes, its range or choices, and one line of help. From that table come getopt_long's arrays,
 * range-checked parsing with the same error wording everywhere, the operand count check and the
 * options part of --help, so the parser and the help cannot drift apart.
 *
 *   long n = 1; int json = 0; const char *out = NULL;
 *   static const arg_opt opts[] = {
 *       ARG_LONG("samples", 'n', &n, 1, 4096, "G", "samples (default 1)"),
 *       ARG_STR("output", 'o', &out, "FILE", "the file to write"),
 *       ARG_FLAG("json", 0, &json, "print one JSON object on stdout"),
 *       ARG_END};
 *   const arg_spec spec = {"sample", "--model DIR [options]", "Generates ...", opts, 0, 0, NULL, NULL};
 *   int first, rc = arg_parse(&spec, argc, argv, &first);
 *   if (rc != ARG_GO) return rc;            // CLI_OK after --help, CLI_USAGE after an error
 *
 * Tables are not static when they point at locals (the addresses change per call). -h/--help is
 * added to every table. Errors print as "recad <cmd>: option --x: <reason>" on stderr followed by
 * the usage line; numbers must parse completely ("12abc" is an error) and lie in their range.
 */
#ifndef RECAD_CLI_ARGS_H
#define RECAD_CLI_ARGS_H

#include <math.h>
#include <stdio.h>

typedef enum {
    ARG_K_FLAG,   /* no value; sets int *dst to 1 */
    ARG_K_STR,    /* const char **dst = the value */
    ARG_K_STRS,   /* repeatable; appends to arg_strs *dst (free dst->v) */
    ARG_K_LONG,   /* long *dst, in [lo, hi] */
    ARG_K_DOUBLE, /* double *dst, in [lo, hi] ((lo, hi] with ARG_OPEN_LO) */
    ARG_K_CHOICE, /* int *dst = index of the value in choices */
    ARG_K_FN,     /* fn(cmd, value, dst) parses; returns -1 after printing an error */
} arg_kind;

enum { ARG_OPEN_LO = 1 }; /* flags: the lower bound itself is not allowed */

typedef int (*arg_fn)(const char *cmd, const char *value, void *dst);

typedef struct {
    const char *name; /* long name without "--"; NULL ends the table */
    int shortc;       /* one-letter alias or 0 */
    arg_kind kind;
    void *dst;
    double lo, hi;             /* ARG_K_LONG, ARG_K_DOUBLE: inclusive range (hi = INFINITY: none) */
    int flags;                 /* ARG_OPEN_LO */
    const char *const *choices; /* ARG_K_CHOICE: NULL-terminated names */
    arg_fn fn;                 /* ARG_K_FN */
    const char *meta;          /* the value's name in the help ("N", "FILE"); NULL for flags */
    const char *help;          /* help text; a '\n' continues on an indented line */
} arg_opt;

typedef struct {
    const char **v;
    int n;
} arg_strs;

#define ARG_FLAG(name, s, dst, help) {name, s, ARG_K_FLAG, dst, 0, 0, 0, NULL, NULL, NULL, help}
#define ARG_STR(name, s, dst, meta, help) {name, s, ARG_K_STR, dst, 0, 0, 0, NULL, NULL, meta, help}
#define ARG_STRS(name, s, dst, meta, help) {name, s, ARG_K_STRS, dst, 0, 0, 0, NULL, NULL, meta, help}
#define ARG_LONG(name, s, dst, lo, hi, meta, help) {name, s, ARG_K_LONG, dst, lo, hi, 0, NULL, NULL, meta, help}
#define ARG_DOUBLE(name, s, dst, lo, hi, meta, help) {name, s, ARG_K_DOUBLE, dst, lo, hi, 0, NULL, NULL, meta, help}
/* a double with lo < value <= hi ("a positive number" with lo = 0, hi = INFINITY) */
#define ARG_DOUBLE_GT(name, s, dst, lo, hi, meta, help)                                         \
    {name, s, ARG_K_DOUBLE, dst, lo, hi, ARG_OPEN_LO, NULL, NULL, meta, help}
#define ARG_CHOICE(name, s, dst, choices, meta, help) {name, s, ARG_K_CHOICE, dst, 0, 0, 0, choices, NULL, meta, help}
#define ARG_FN(name, s, dst, fn, meta, help) {name, s, ARG_K_FN, dst, 0, 0, 0, NULL, fn, meta, help}
#define ARG_END {NULL, 0, ARG_K_FLAG, NULL, 0, 0, 0, NULL, NULL, NULL, NULL}

typedef struct {
    const char *cmd;      /* "render", or "tokenizer train" for a subcommand */
    const char *synopsis; /* what follows "usage: recad <cmd> " */
    const char *about;    /* paragraph(s) before the options; may be NULL */
    const arg_opt *opts;  /* ARG_END-terminated */
    int min_operands;     /* operands after the options */
    int max_operands;     /* -1: any number */
    const char *operand;  /* the operand's name in errors ("PROGRAM.lua"); NULL: "argument" */
    const char *footer;   /* text after the options (exit codes, notes); may be NULL */
} arg_spec;

enum { ARG_GO = -1 }; /* arg_parse: parsing succeeded, the command goes on */

/* parses argv (argv[0] is the command name). Returns ARG_GO with *first = index of the first
 * operand; CLI_OK after printing the help (--help) on stdout; CLI_USAGE after printing an error
 * (unknown option, missing or bad value, wrong operand count). */
int arg_parse(const arg_spec *s, int argc, char **argv, int *first);

/* the whole string as a base-10 long / a finite-or-infinite non-NaN double: 0, or -1 if it is not
 * one (nothing printed) */
int arg_to_long(const char *s, long *out);
int arg_to_double(const char *s, double *out);

/* the whole help: usage line, about, options (with -h, --help), footer */
void arg_help(const arg_spec *s, FILE *f);

/* a usage error found after parsing: prints "recad <cmd>: <message>" and the usage hint to
 * stderr; returns CLI_USAGE */
int arg_error(const arg_spec *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* the usage line and a pointer to --help, after an error */
void arg_usage_hint(const arg_spec *s, FILE *f);

#endif
