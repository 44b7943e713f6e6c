/* prefixcheck.c - names and call arities of a program prefix (prefixcheck.h). */
#include "cad/prefixcheck.h"

#include <stdlib.h>
#include <string.h>

static const char *const pfx_keyword_list[] = {"and",   "break", "do",     "else", "elseif", "end",   "false", "for",
                                           "function", "goto", "if",   "in",   "local",  "nil",   "not",   "or",
                                           "repeat", "return", "then", "true", "until",  "while", NULL};

/* the global table of the sandbox (cad/exec.c ex_setup); tests/test_prefixcheck.c compares */
static const char *const pfx_global_names[] = {
    "Line", "Arc", "Circle", "Loop", "Face", "Sketch", "Plane", "Extrude", "XY", "XZ", "YZ",
    "math", "table", "string", "assert", "error", "getmetatable", "ipairs", "next", "pairs", "pcall",
    "rawequal", "rawget", "rawlen", "rawset", "select", "setmetatable", "tonumber", "tostring", "type",
    "_G", "_VERSION", NULL};

const char *const *pfx_globals(void) { return pfx_global_names; }
const char *const *pfx_keywords(void) { return pfx_keyword_list; }

/* calls whose argument count is checked: name, fewest, most */
static const struct {
    const char *name;
    int min, max;
} pfx_arity[] = {{"Line", 4, 4}, {"Arc", 6, 6}, {"Circle", 3, 3}, {"Plane", 3, 3}, {"Extrude", 2, 3}, {"Loop", 1, 1 << 30}};
enum { PFX_LINE, PFX_ARC, PFX_CIRCLE, PFX_PLANE, PFX_EXTRUDE, PFX_LOOP, PFX_NARITY };

typedef struct {
    char open;   /* '(' '{' '[' */
    int fn;      /* index into pfx_arity, -1: not checked */
    int commas;  /* top-level commas so far */
    int any;     /* something was written inside */
    int body;    /* a function was opened inside: statements may follow */
    size_t arg;  /* where the current argument began (after '(' or ',') */
    /* a curve written as an argument of a Loop: its arguments' spans (start, end) */
    int in_loop;
    size_t span[6][2];
    /* a Loop whose arguments are all curves written out (plain): the first curve's start and the
     * last one's end, as text spans; curves so far; the current argument is a curve */
    int plain, curves, arg_curve, circle;
    size_t first[2][2], last[2][2];
} pfx_frame;

enum { P_OP, P_NAME, P_VALUE, P_DOT, P_COLON };           /* what the previous lexeme was */
enum { D_NONE, D_LOCAL, D_FUNC, D_PARAMS, D_FOR };        /* declaration context */

typedef struct {
    const char *b;
    size_t T, mark; /* text length; where the new bytes begin */
    pfx_frame fr[PFX_MAX_DEPTH];
    int depth;
    size_t *decl; /* declared names: (start, length) pairs into b */
    int ndecl, cap;
    const char *why;
} pfx_state;

static int pfx_is_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static int pfx_is_name(char c) { return pfx_is_start(c) || (c >= '0' && c <= '9'); }
static int pfx_is_digit(char c) { return c >= '0' && c <= '9'; }
static int pfx_is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

static int pfx_word_is(const char *w, size_t n, const char *s) { return strlen(s) == n && !memcmp(w, s, n); }
static int pfx_word_starts(const char *w, size_t n, const char *s) { return strlen(s) >= n && !memcmp(w, s, n); }

static int pfx_in_list(const char *const *list, const char *w, size_t n, int prefix) {
    for (int i = 0; list[i]; i++)
        if (prefix ? pfx_word_starts(w, n, list[i]) : pfx_word_is(w, n, list[i])) return 1;
    return 0;
}

/* is w[0..n) (or, with prefix, the start of) a keyword, a global or a name declared so far? */
static int pfx_known(const pfx_state *st, const char *w, size_t n, int prefix) {
    if (pfx_in_list(pfx_keyword_list, w, n, prefix) || pfx_in_list(pfx_global_names, w, n, prefix)) return 1;
    for (int i = 0; i < st->ndecl; i++) {
        size_t ds = st->decl[2 * i], dn = st->decl[2 * i + 1];
        if (prefix ? (dn >= n && !memcmp(st->b + ds, w, n)) : (dn == n && !memcmp(st->b + ds, w, n))) return 1;
    }
    return 0;
}

static void pfx_declare(pfx_state *st, size_t s, size_t n) {
    if (st->ndecl == st->cap) {
        st->cap = st->cap ? 2 * st->cap : 32;
        size_t *d = realloc(st->decl, sizeof(size_t) * 2 * (size_t)st->cap);
        if (!d) return; /* out of memory: the name stays unknown (a stricter check, no crash) */
        st->decl = d;
    }
    st->decl[2 * st->ndecl] = s, st->decl[2 * st->ndecl + 1] = n;
    st->ndecl++;
}

/* b[a0..a1) and b[b0..b1) equal (whole) or the first a prefix of the second, spaces ignored */
static int pfx_same_text(const char *b, size_t a0, size_t a1, size_t b0, size_t b1, int prefix) {
    for (;;) {
        while (a0 < a1 && pfx_is_space(b[a0])) a0++;
        while (b0 < b1 && pfx_is_space(b[b0])) b0++;
        if (a0 == a1) return prefix || b0 == b1;
        if (b0 == b1 || b[a0] != b[b0]) return 0;
        a0++, b0++;
    }
}

static int pfx_refuse(pfx_state *st, const char *why) {
    st->why = why;
    return 0;
}

/* end of a comment or long bracket "[==[" at i (level = count of '='), or T when open */
static size_t pfx_long_end(const pfx_state *st, size_t i, int level) {
    for (; i < st->T; i++) {
        if (st->b[i] != ']') continue;
        size_t j = i + 1;
        int l = 0;
        while (j < st->T && st->b[j] == '=') j++, l++;
        if (l == level && j < st->T && st->b[j] == ']') return j + 1;
    }
    return st->T;
}

/* level of a long bracket opening at i ("[[" 0, "[=[" 1, ...), -1 when none */
static int pfx_long_level(const pfx_state *st, size_t i, size_t *after) {
    if (st->b[i] != '[') return -1;
    size_t j = i + 1;
    int l = 0;
    while (j < st->T && st->b[j] == '=') j++, l++;
    if (j < st->T && st->b[j] == '[') {
        *after = j + 1;
        return l;
    }
    return -1;
}

/* a name b[s..e) that is read (not declared, not a field): judged when the new bytes reach it */
static int pfx_use(pfx_state *st, size_t s, size_t e) {
    if (e < st->mark) return 1; /* ended before the new bytes: judged when it was written */
    const char *w = st->b + s;
    size_t n = e - s;
    int in_braces = st->depth > 0 && st->fr[st->depth - 1].open == '{';
    if (e == st->T) /* still being written: it must be the start of a name that may be read */
        return pfx_known(st, w, n, 1) || (in_braces && pfx_word_starts(w, n, "sym")) ? 1
                                                                                     : pfx_refuse(st, "undeclared name");
    if (pfx_known(st, w, n, 0)) return 1;
    if (in_braces) { /* a key "{name = v}": look past spaces for '=' (not "==") */
        size_t j = e;
        while (j < st->T && pfx_is_space(st->b[j])) j++;
        if (j == st->T) return 1; /* not known yet */
        if (st->b[j] == '=' && (j + 1 == st->T || st->b[j + 1] != '=')) return 1;
    }
    return pfx_refuse(st, "undeclared name");
}

/* inside an open bracket (and no function body), an operand ending at e >= mark must not follow
 * another operand: "Line(1, 2 3" or "Loop(Line(...) Line(...))" miss a ',' or an operator */
static int pfx_operand(pfx_state *st, int prev, size_t e) {
    if (st->depth == 0 || st->fr[st->depth - 1].body || e < st->mark) return 1;
    return prev == P_VALUE || prev == P_NAME ? pfx_refuse(st, "a missing ',' or operator") : 1;
}

/* curve frame st->fr[d] in a Loop: may its start coordinate k, written as b[f->arg..e), be (prefix:
 * become) the last curve's end coordinate k? Only the first two arguments of a Line or an Arc
 * after the first curve of a Loop written curve by curve are bound. */
static int pfx_start_ok(const pfx_state *st, int d, size_t e, int prefix) {
    const pfx_frame *f = &st->fr[d], *loop = d > 0 ? &st->fr[d - 1] : NULL;
    int k = f->commas;
    if (k >= 2 || f->fn == PFX_CIRCLE || !loop || !loop->plain || loop->curves == 0 || loop->circle) return 1;
    return pfx_same_text(st->b, f->arg, e, loop->last[k][0], loop->last[k][1], prefix);
}

/* argument k of curve frame f ended at e: a start coordinate (k = 0, 1) of a curve that is not
 * the first of its Loop must be the text of the last curve's end coordinate */
static int pfx_arg_end(pfx_state *st, pfx_frame *f, size_t e, int is_new) {
    if (f->fn == PFX_LOOP) { /* an argument of a Loop that is not a curve written out */
        if (!f->arg_curve) f->plain = 0;
        f->arg_curve = 0;
        return 1;
    }
    if (!f->in_loop || f->commas >= 6) return 1;
    f->span[f->commas][0] = f->arg, f->span[f->commas][1] = e;
    /* (the frame below a curve frame in the stack is its Loop while the curve is open) */
    if (is_new && !pfx_start_ok(st, (int)(f - st->fr), e, 0))
        return pfx_refuse(st, "a curve that does not start where the last one ended");
    return 1;
}

/* curve frame c (just closed) was an argument of Loop frame loop */
static void pfx_curve_done(pfx_frame *loop, const pfx_frame *c) {
    loop->arg_curve = 1;
    if (c->fn == PFX_CIRCLE) {
        loop->circle = 1;
        loop->curves++;
        return;
    }
    int e = c->fn == PFX_LINE ? 2 : 4;
    if (loop->curves == 0) memcpy(loop->first, c->span[0], sizeof loop->first);
    memcpy(loop->last, c->span[e], sizeof loop->last);
    loop->curves++;
}

/* is s[0..n) a Lua numeral (decimal "12", "1.5", ".5", "2e-3"; hex "0x1F", "0x1p4")? With
 * partial, may it still become one (its end not written yet)? Lua reads letters and dots after
 * digits into the numeral, so "16.25s" fails as a malformed number. */
static int pfx_numeral(const char *s, size_t n, int partial) {
    size_t i = 0, mant = 0;
    int hex = n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
    if (hex) i = 2;
#define PFX_DIG(c) (hex ? ((c) >= '0' && (c) <= '9') || ((c) >= 'a' && (c) <= 'f') || ((c) >= 'A' && (c) <= 'F') : pfx_is_digit(c))
    while (i < n && PFX_DIG(s[i])) i++, mant++;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && PFX_DIG(s[i])) i++, mant++;
    }
#undef PFX_DIG
    if (i == n) return mant > 0 || partial;
    if (!mant || !(hex ? (s[i] == 'p' || s[i] == 'P') : (s[i] == 'e' || s[i] == 'E'))) return 0;
    i++;
    if (i < n && (s[i] == '+' || s[i] == '-')) i++;
    size_t ed = 0;
    while (i < n && pfx_is_digit(s[i])) i++, ed++;
    return i == n && (ed > 0 || partial);
}

/* keywords that begin or end a statement: never inside an open bracket outside a function body */
static const char *const pfx_statement_kw[] = {"local", "return", "for",    "while", "if",  "repeat", "until", "break",
                                               "goto",  "do",     "then",   "elseif", "else", "end",   "in",    NULL};

static int pfx_scan(pfx_state *st) {
    const char *b = st->b;
    size_t T = st->T, i = 0;
    int prev = P_OP, prev_fn = -1, mode = D_NONE;
    size_t prev_s = 0; /* where the last name began */
    while (i < T) {
        char c = b[i];
        if (pfx_is_space(c)) {
            i++;
            continue;
        }
        if (st->depth > 0 && !(c == ')' || c == '}' || c == ']')) st->fr[st->depth - 1].any = 1;
        if (c == '-' && i + 1 < T && b[i + 1] == '-') { /* comment */
            size_t after;
            int level = i + 2 < T ? pfx_long_level(st, i + 2, &after) : -1;
            if (level >= 0) i = pfx_long_end(st, after, level);
            else {
                while (i < T && b[i] != '\n') i++;
            }
            continue;
        }
        if (c == '"' || c == '\'') { /* a short string: to its closing quote or the end of the line */
            i++;
            while (i < T && b[i] != c && b[i] != '\n') i += (b[i] == '\\' && i + 1 < T) ? 2 : 1;
            if (i < T) i++;
            prev = P_VALUE, mode = D_NONE;
            continue;
        }
        size_t after;
        int level = c == '[' ? pfx_long_level(st, i, &after) : -1;
        if (level >= 0) { /* a long string */
            i = pfx_long_end(st, after, level);
            prev = P_VALUE, mode = D_NONE;
            continue;
        }
        if (pfx_is_digit(c) || (c == '.' && i + 1 < T && pfx_is_digit(b[i + 1]))) { /* a number */
            size_t s0 = i;
            i++;
            while (i < T) {
                char d = b[i];
                if (pfx_is_name(d) || d == '.') i++;
                else if ((d == '+' || d == '-') && (b[i - 1] == 'e' || b[i - 1] == 'E' || b[i - 1] == 'p' || b[i - 1] == 'P'))
                    i++;
                else break;
            }
            if (i >= st->mark && !pfx_numeral(b + s0, i - s0, i == T)) return pfx_refuse(st, "a malformed number");
            if (mode == D_NONE && !pfx_operand(st, prev, i)) return 0;
            prev = P_VALUE, mode = D_NONE;
            continue;
        }
        if (pfx_is_start(c)) { /* a name or a keyword */
            size_t s = i;
            while (i < T && pfx_is_name(b[i])) i++;
            const char *w = b + s;
            size_t n = i - s;
            int field = prev == P_DOT || prev == P_COLON;
            int in_br = st->depth > 0 && !st->fr[st->depth - 1].body && i >= st->mark && !field && mode == D_NONE;
            if (in_br) { /* inside an open bracket: no statement, no operand right after another */
                int binop = i == T ? pfx_word_starts(w, n, "and") || pfx_word_starts(w, n, "or")
                                   : pfx_word_is(w, n, "and") || pfx_word_is(w, n, "or");
                if (i < T && pfx_in_list(pfx_statement_kw, w, n, 0))
                    return pfx_refuse(st, "a statement inside an open bracket");
                if (!binop && !pfx_operand(st, prev, i)) return 0;
            }
            if (i == T) /* the name being written: a read is judged; a field or a declaration is free */
                return field || mode != D_NONE ? 1 : pfx_use(st, s, i);
            if (!field && pfx_in_list(pfx_keyword_list, w, n, 0)) {
                if (pfx_word_is(w, n, "local")) mode = D_LOCAL;
                else if (pfx_word_is(w, n, "function")) {
                    mode = D_FUNC;
                    if (st->depth > 0) st->fr[st->depth - 1].body = 1;
                }
                else if (pfx_word_is(w, n, "for")) mode = D_FOR;
                else mode = D_NONE; /* "in", "do", ...: a for's names end there too */
                prev = pfx_word_is(w, n, "nil") || pfx_word_is(w, n, "true") || pfx_word_is(w, n, "false") ? P_VALUE : P_OP;
                continue;
            }
            if (field) {
                prev = P_NAME, prev_fn = -1;
                continue;
            }
            if (mode != D_NONE) pfx_declare(st, s, n);
            else if (!pfx_use(st, s, i)) return 0;
            prev = P_NAME, prev_fn = -1, prev_s = s;
            for (int k = 0; k < PFX_NARITY; k++)
                if (pfx_word_is(w, n, pfx_arity[k].name)) prev_fn = k;
            continue;
        }
        /* punctuation */
        int is_new = i >= st->mark;
        if (c == '(' || c == '{' || c == '[') {
            if (st->depth == PFX_MAX_DEPTH) return pfx_refuse(st, "brackets nested too deep");
            pfx_frame *up = st->depth > 0 ? &st->fr[st->depth - 1] : NULL;
            pfx_frame *f = &st->fr[st->depth++];
            memset(f, 0, sizeof *f);
            f->open = c;
            f->fn = c == '(' && prev == P_NAME && mode == D_NONE ? prev_fn : -1;
            f->arg = i + 1;
            f->plain = f->fn == PFX_LOOP;
            /* a curve written right as an argument of a Loop: "Loop(Line(" or ", Arc(" */
            if (up && up->fn == PFX_LOOP && (f->fn == PFX_LINE || f->fn == PFX_ARC || f->fn == PFX_CIRCLE)) {
                size_t k = up->arg;
                while (k < prev_s && pfx_is_space(b[k])) k++;
                f->in_loop = k == prev_s;
            }
            mode = c == '(' && mode == D_FUNC ? D_PARAMS : D_NONE; /* a function's parameter list */
            prev = P_OP;
            i++;
            continue;
        }
        if (c == ')' || c == '}' || c == ']') {
            char want = c == ')' ? '(' : c == '}' ? '{' : '[';
            if (st->depth == 0 || st->fr[st->depth - 1].open != want) {
                if (is_new) return pfx_refuse(st, "a closing bracket that matches no open one");
                if (st->depth > 0) st->depth--; /* a kept prefix's own mistake: carry on */
                i++;
                prev = P_VALUE;
                continue;
            }
            pfx_frame *f = &st->fr[--st->depth];
            if (f->fn >= 0 && is_new) {
                int args = f->any ? f->commas + 1 : 0;
                if (args < pfx_arity[f->fn].min) return pfx_refuse(st, "too few arguments");
            }
            if (!pfx_arg_end(st, f, i, is_new)) return 0;
            if (f->fn == PFX_LOOP && f->plain && is_new && f->curves > 0 && !f->circle &&
                (f->curves < 2 || !pfx_same_text(b, f->last[0][0], f->last[0][1], f->first[0][0], f->first[0][1], 0) ||
                 !pfx_same_text(b, f->last[1][0], f->last[1][1], f->first[1][0], f->first[1][1], 0)))
                return pfx_refuse(st, "a loop that does not end where it began");
            if (f->in_loop && st->depth > 0) pfx_curve_done(&st->fr[st->depth - 1], f);
            mode = D_NONE; /* after a parameter list: the body */
            prev = P_VALUE;
            i++;
            continue;
        }
        if (c == ',') {
            if (st->depth > 0) {
                pfx_frame *f = &st->fr[st->depth - 1];
                if (f->fn >= 0 && is_new && f->commas + 2 > pfx_arity[f->fn].max)
                    return pfx_refuse(st, "too many arguments");
                if (!pfx_arg_end(st, f, i, is_new)) return 0;
                f->commas++;
                f->arg = i + 1;
            }
            if (mode != D_LOCAL && mode != D_FOR && mode != D_PARAMS) mode = D_NONE;
            prev = P_OP;
            i++;
            continue;
        }
        if (c == '.') {
            size_t j = i;
            while (j < T && b[j] == '.') j++;
            prev = j - i == 1 ? P_DOT : P_OP; /* ".." and "..." are operators */
            i = j;
            mode = D_NONE;
            continue;
        }
        if (c == ':') {
            prev = (i + 1 < T && b[i + 1] == ':') ? P_OP : P_COLON;
            i += prev == P_OP ? 2 : 1;
            continue;
        }
        /* any other operator ends a list of declared names ("=" of "local a, b = ...") */
        if (mode == D_FUNC && c != '(') mode = D_NONE;
        if (mode == D_LOCAL || mode == D_FOR) mode = D_NONE;
        prev = P_OP;
        i++;
    }
    return 1;
}

/* a start coordinate still being written (the innermost curve of a Loop, its argument 0 or 1)
 * must be the start of the last curve's end coordinate */
static int pfx_partial_start(pfx_state *st) {
    for (int d = st->depth - 1; d >= 0; d--)
        if (st->fr[d].in_loop)
            return pfx_start_ok(st, d, st->T, 1) ? 1 : pfx_refuse(st, "a curve that does not start where the last one ended");
    return 1;
}

int pfx_append_ok(const char *prog, size_t len, const char *tok, size_t n, const char **why) {
    if (why) *why = NULL;
    if (n == 0) return 1;
    char *b = malloc(len + n + 1);
    if (!b) return 1; /* no memory to judge: let the token through */
    memcpy(b, prog, len);
    memcpy(b + len, tok, n);
    b[len + n] = 0;
    pfx_state st = {.b = b, .T = len + n, .mark = len};
    int ok = pfx_scan(&st) && pfx_partial_start(&st);
    if (!ok && why) *why = st.why;
    free(st.decl);
    free(b);
    return ok;
}
