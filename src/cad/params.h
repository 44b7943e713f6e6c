/* params.h - the top-level numeric parameters of a CADLib program, so that a person can change
 * them by value (the web page's sliders) without touching the rest of the text.
 *
 * A parameter is a numeric literal, optionally negated, that a top-level `local` statement
 * assigns to a name:
 *
 *   local w, d, t = 60, 40, 6      -- three parameters: w = 60, d = 40, t = 6
 *   local r = -2.5                 -- one: r = -2.5 (the span covers the minus sign)
 *   local a, b = 4, 2 * 3          -- one: a = 4 (b's value is an expression)
 *   local c, d = 2 * 3, 4          -- none: the list is read up to its first non-literal
 *   local n <const> = 6            -- one: attributes are allowed
 *
 * Top level means outside every block (function, do, while, for, if, repeat) and bracket; an
 * expression counts only when it is nothing but the literal: the token after it ends the
 * expression (`,`), the statement (`;`, end of text, a keyword other than `and` / `or`) or
 * starts the next statement (a name). Comments and strings (long brackets included) are skipped.
 * Decimal literals only (`60`, `2.5`, `.5`, `1e-3`); hexadecimal ones are left alone.
 *
 * Positions: `start`, `end` are byte offsets of the literal's span in the source; `line` is
 * 1-based; `col` is the 1-based column of `start` counted in UTF-16 code units (what a browser
 * string index counts: a 4-byte UTF-8 character counts 2, other characters 1).
 *
 * Suggested slider range (pr_range): value v > 0 -> [0, 3v]; v < 0 -> [3v, 0]; v = 0 -> [-10, 10];
 * step 10^-decimals where decimals is the literal's number of decimal places (60 -> 1, 2.5 -> 0.1,
 * 1e-3 -> 0.001), at most 6.
 *
 * Errors: pr_scan never fails on program text (a text that does not tokenise yields the
 * parameters found before the problem); it returns -1 + ut_error() only for NULL input.
 * Thread safety: no shared state.
 */
#ifndef RECAD_PARAMS_H
#define RECAD_PARAMS_H

#include <stddef.h>

#define PR_MAX_PARAMS 256 /* parameters reported at most (the first ones in the text) */
#define PR_MAX_NAME 63    /* longer names are not reported */

typedef struct {
    char name[PR_MAX_NAME + 1];
    double value;
    size_t start, end;   /* byte span of the literal, minus sign included */
    int line, col;       /* 1-based; col in UTF-16 code units */
    int decimals;        /* decimal places of the literal, 0..6 */
    double lo, hi, step; /* suggested slider range (pr_range) */
} pr_param;

/* Scans src[0..len) (need not be NUL-terminated). *out gets a malloc'd array (free it; NULL when
 * none) of *n parameters in text order. Returns 0, or -1 + ut_error() for NULL arguments. */
int pr_scan(const char *src, size_t len, pr_param **out, int *n);

/* the suggested slider range of a value written with `decimals` decimal places */
void pr_range(double value, int decimals, double *lo, double *hi, double *step);

/* A copy of src with p's literal replaced by value written with p->decimals decimal places
 * (malloc'd, NUL-terminated; *out_len its length). NULL + ut_error() if p's span is not inside
 * src or value is not finite. */
char *pr_rewrite(const char *src, size_t len, const pr_param *p, double value, size_t *out_len);

#endif
