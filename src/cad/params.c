/* params.c - top-level numeric parameters of a CADLib program: a small Lua tokenizer and a walk
 * over the top-level `local` statements (params.h). */
#include "cad/params.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "cad/prefixcheck.h"

typedef enum { TK_NAME, TK_KEYWORD, TK_NUMBER, TK_STRING, TK_OP, TK_EOF } pr_kind;

typedef struct {
    pr_kind kind;
    size_t start, end; /* byte span */
    int line, col;     /* of start */
} pr_token;

typedef struct {
    const char *s;
    size_t len, pos;
    int line;
    size_t line_start; /* byte offset where the current line begins */
} pr_lexer;

static int pr_is_word(const pr_lexer *lx, const pr_token *t, const char *w) {
    size_t n = strlen(w);
    return t->end - t->start == n && memcmp(lx->s + t->start, w, n) == 0;
}

static int pr_is_keyword(const char *s, size_t n) {
    const char *const *kw = pfx_keywords();
    for (int i = 0; kw[i]; i++)
        if (strlen(kw[i]) == n && memcmp(kw[i], s, n) == 0) return 1;
    return 0;
}

/* the UTF-16 column of byte offset at on the current line */
static int pr_col16(const pr_lexer *lx, size_t at) {
    int col = 1;
    for (size_t i = lx->line_start; i < at; i++) {
        unsigned char c = (unsigned char)lx->s[i];
        if ((c & 0xC0) == 0x80) continue; /* continuation byte */
        col += c >= 0xF0 ? 2 : 1;
    }
    return col;
}

static int pr_peek(const pr_lexer *lx, size_t k) {
    return lx->pos + k < lx->len ? (unsigned char)lx->s[lx->pos + k] : -1;
}

static void pr_advance(pr_lexer *lx) {
    if (lx->s[lx->pos] == '\n') {
        lx->line++;
        lx->line_start = lx->pos + 1;
    }
    lx->pos++;
}

/* at "[" of a long bracket "[==[": its level (count of '='), or -1 if it is not one */
static int pr_long_open(const pr_lexer *lx) {
    size_t k = 1;
    while (pr_peek(lx, k) == '=') k++;
    return pr_peek(lx, k) == '[' ? (int)k - 1 : -1;
}

/* skips a long bracket of the given level starting at its "["; 0, or -1 if it never closes */
static int pr_skip_long(pr_lexer *lx, int level) {
    for (int i = 0; i < level + 2; i++) pr_advance(lx);
    while (lx->pos < lx->len) {
        if (lx->s[lx->pos] == ']') {
            int k = 1;
            while (pr_peek(lx, (size_t)k) == '=') k++;
            if (k - 1 == level && pr_peek(lx, (size_t)k) == ']') {
                for (int i = 0; i < level + 2; i++) pr_advance(lx);
                return 0;
            }
        }
        pr_advance(lx);
    }
    return -1;
}

/* skips spaces and comments; -1 on an unclosed long comment */
static int pr_skip_space(pr_lexer *lx) {
    while (lx->pos < lx->len) {
        int c = pr_peek(lx, 0);
        if (isspace(c)) pr_advance(lx);
        else if (c == '-' && pr_peek(lx, 1) == '-') {
            lx->pos += 2;
            int level = pr_peek(lx, 0) == '[' ? pr_long_open(lx) : -1;
            if (level >= 0) {
                if (pr_skip_long(lx, level) < 0) return -1;
            } else
                while (lx->pos < lx->len && lx->s[lx->pos] != '\n') lx->pos++;
        } else
            break;
    }
    return 0;
}

/* a quoted string starting at its quote; -1 if it does not close on its line */
static int pr_skip_quoted(pr_lexer *lx) {
    char q = lx->s[lx->pos];
    pr_advance(lx);
    while (lx->pos < lx->len) {
        char c = lx->s[lx->pos];
        if (c == q) {
            pr_advance(lx);
            return 0;
        }
        if (c == '\n') return -1;
        if (c == '\\' && lx->pos + 1 < lx->len) pr_advance(lx); /* the escaped character (\z, \<newline> too) */
        pr_advance(lx);
    }
    return -1;
}

static void pr_skip_number(pr_lexer *lx) {
    int hex = pr_peek(lx, 0) == '0' && (pr_peek(lx, 1) == 'x' || pr_peek(lx, 1) == 'X');
    if (hex) lx->pos += 2;
    while (lx->pos < lx->len) {
        int c = pr_peek(lx, 0);
        int expo = hex ? (c == 'p' || c == 'P') : (c == 'e' || c == 'E');
        if (expo && (pr_peek(lx, 1) == '+' || pr_peek(lx, 1) == '-')) lx->pos += 2;
        else if (isalnum(c) || c == '.') lx->pos++;
        else break;
    }
}

/* the next token; -1 when the text does not tokenise (unclosed string or comment) */
static int pr_next(pr_lexer *lx, pr_token *t) {
    if (pr_skip_space(lx) < 0) return -1;
    t->start = lx->pos;
    t->line = lx->line;
    t->col = pr_col16(lx, lx->pos);
    if (lx->pos >= lx->len) {
        t->kind = TK_EOF;
        t->end = lx->pos;
        return 0;
    }
    int c = pr_peek(lx, 0);
    if (isalpha(c) || c == '_') {
        while (lx->pos < lx->len && (isalnum(pr_peek(lx, 0)) || pr_peek(lx, 0) == '_')) lx->pos++;
        t->kind = pr_is_keyword(lx->s + t->start, lx->pos - t->start) ? TK_KEYWORD : TK_NAME;
    } else if (isdigit(c) || (c == '.' && isdigit(pr_peek(lx, 1)))) {
        pr_skip_number(lx);
        t->kind = TK_NUMBER;
    } else if (c == '"' || c == '\'') {
        if (pr_skip_quoted(lx) < 0) return -1;
        t->kind = TK_STRING;
    } else if (c == '[' && pr_long_open(lx) >= 0) {
        if (pr_skip_long(lx, pr_long_open(lx)) < 0) return -1;
        t->kind = TK_STRING;
    } else {
        lx->pos++; /* one-character operators are enough here ("..", "==" split harmlessly) */
        t->kind = TK_OP;
    }
    t->end = lx->pos;
    return 0;
}

/* all tokens up to the end or the first problem, ending with TK_EOF */
static pr_token *pr_tokenize(const char *src, size_t len, int *n) {
    pr_lexer lx = {src, len, 0, 1, 0};
    pr_token *v = NULL;
    int cap = 0;
    *n = 0;
    for (;;) {
        pr_token t;
        if (pr_next(&lx, &t) < 0) {
            t.kind = TK_EOF;
            t.start = t.end = lx.pos;
        }
        *UT_PUSH(v, *n, cap) = t;
        if (t.kind == TK_EOF) return v;
    }
}

/* a decimal literal's value and decimal places; -1 if it is not a finite decimal number */
static int pr_literal(const char *s, size_t n, double *value, int *decimals) {
    char buf[64];
    if (n == 0 || n >= sizeof buf) return -1;
    memcpy(buf, s, n);
    buf[n] = 0;
    if (buf[0] == '0' && (buf[1] == 'x' || buf[1] == 'X')) return -1;
    char *end;
    *value = strtod(buf, &end);
    if (*end || !isfinite(*value)) return -1;
    const char *dot = strchr(buf, '.'), *e = strpbrk(buf, "eE");
    int d = 0;
    if (dot) d = (int)((e ? e : buf + n) - dot - 1);
    if (e) d -= atoi(e + 1);
    *decimals = d < 0 ? 0 : d > 6 ? 6 : d;
    return 0;
}

void pr_range(double value, int decimals, double *lo, double *hi, double *step) {
    *step = pow(10.0, -(decimals < 0 ? 0 : decimals > 6 ? 6 : decimals));
    if (value > 0) *lo = 0, *hi = 3 * value;
    else if (value < 0) *lo = 3 * value, *hi = 0;
    else *lo = -10, *hi = 10;
}

/* does the token after a literal end its expression? */
static int pr_ends_expr(const pr_lexer *lx, const pr_token *t) {
    if (t->kind == TK_EOF || t->kind == TK_NAME) return 1;
    if (t->kind == TK_KEYWORD) return !pr_is_word(lx, t, "and") && !pr_is_word(lx, t, "or");
    return t->kind == TK_OP && (lx->s[t->start] == ',' || lx->s[t->start] == ';');
}

typedef struct {
    pr_param *v;
    int n, cap;
} pr_list;

/* parses the `local` statement at tokens t[i] (the keyword) and records its parameters;
 * returns the index of the first token it did not consume */
static int pr_local(const pr_lexer *lx, const pr_token *t, int i, pr_list *out) {
    int names[PR_MAX_PARAMS], nn = 0;
    i++;
    while (t[i].kind == TK_NAME) {
        if (nn < PR_MAX_PARAMS) names[nn++] = i;
        i++;
        if (t[i].kind == TK_OP && lx->s[t[i].start] == '<') i += 3; /* <const> / <close> */
        if (!(t[i].kind == TK_OP && lx->s[t[i].start] == ',')) break;
        i++;
    }
    if (nn == 0 || !(t[i].kind == TK_OP && lx->s[t[i].start] == '=')) return i;
    i++;
    for (int k = 0;; k++) {
        int first = i, neg = t[i].kind == TK_OP && lx->s[t[i].start] == '-';
        if (neg) i++;
        if (t[i].kind != TK_NUMBER || !pr_ends_expr(lx, &t[i + 1])) return first;
        double value;
        int dec;
        const pr_token *num = &t[i], *name = k < nn ? &t[names[k]] : NULL;
        size_t name_len = name ? name->end - name->start : 0;
        if (name && name_len <= PR_MAX_NAME && out->n < PR_MAX_PARAMS &&
            pr_literal(lx->s + num->start, num->end - num->start, &value, &dec) == 0) {
            pr_param *p = UT_PUSH(out->v, out->n, out->cap);
            memset(p, 0, sizeof *p);
            memcpy(p->name, lx->s + name->start, name_len);
            p->value = neg ? -value : value;
            p->start = t[first].start;
            p->end = num->end;
            p->line = t[first].line;
            p->col = t[first].col;
            p->decimals = dec;
            pr_range(p->value, dec, &p->lo, &p->hi, &p->step);
        }
        i++;
        if (!(t[i].kind == TK_OP && lx->s[t[i].start] == ',')) return i;
        i++;
    }
}

/* the change of block or bracket depth a token makes */
static int pr_depth_change(const pr_lexer *lx, const pr_token *t) {
    if (t->kind == TK_KEYWORD) {
        if (pr_is_word(lx, t, "function") || pr_is_word(lx, t, "do") || pr_is_word(lx, t, "if") ||
            pr_is_word(lx, t, "repeat"))
            return 1;
        if (pr_is_word(lx, t, "end") || pr_is_word(lx, t, "until")) return -1;
    } else if (t->kind == TK_OP) {
        char c = lx->s[t->start];
        if (c == '(' || c == '[' || c == '{') return 1;
        if (c == ')' || c == ']' || c == '}') return -1;
    }
    return 0;
}

int pr_scan(const char *src, size_t len, pr_param **out, int *n) {
    if (!src || !out || !n) return ut_fail("pr_scan: NULL argument");
    int nt;
    pr_token *t = pr_tokenize(src, len, &nt);
    pr_lexer lx = {src, len, 0, 1, 0};
    pr_list list = {NULL, 0, 0};
    int depth = 0;
    for (int i = 0; t[i].kind != TK_EOF;) {
        if (depth == 0 && t[i].kind == TK_KEYWORD && pr_is_word(&lx, &t[i], "local")) {
            int next = pr_local(&lx, t, i, &list);
            /* `while`/`for` open their block at `do`; the tokens consumed here hold no block */
            i = next > i ? next : i + 1;
            continue;
        }
        depth += pr_depth_change(&lx, &t[i]);
        if (depth < 0) depth = 0; /* an unbalanced `end`: the program is broken anyway */
        i++;
    }
    free(t);
    *out = list.v;
    *n = list.n;
    return 0;
}

char *pr_rewrite(const char *src, size_t len, const pr_param *p, double value, size_t *out_len) {
    if (!src || !p || p->start > p->end || p->end > len) {
        ut_fail("parameter span outside the program");
        return NULL;
    }
    if (!isfinite(value)) {
        ut_fail("parameter value is not a finite number");
        return NULL;
    }
    char num[64];
    int d = p->decimals < 0 ? 0 : p->decimals > 6 ? 6 : p->decimals;
    snprintf(num, sizeof num, "%.*f", d, value);
    if (strspn(num, "-0.") == strlen(num)) snprintf(num, sizeof num, "%.*f", d, 0.0); /* no "-0" */
    size_t nlen = strlen(num), total = len - (p->end - p->start) + nlen;
    char *s = ut_malloc(total + 1);
    memcpy(s, src, p->start);
    memcpy(s + p->start, num, nlen);
    memcpy(s + p->start + nlen, src + p->end, len - p->end);
    s[total] = 0;
    if (out_len) *out_len = total;
    return s;
}
