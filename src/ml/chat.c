/* chat.c - the prompt/answer layout (see chat.h). */
#include "ml/chat.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"

int chat_end_ids(const tok_tokenizer *t, int ids[2]) {
    static const char *const ends[2] = {"<|endoftext|>", "<|im_end|>"};
    int n = 0;
    for (int i = 0; i < 2; i++)
        if (tok_special_id(t, ends[i]) >= 0) ids[n++] = tok_special_id(t, ends[i]);
    return n;
}

int chat_has_markers(const tok_tokenizer *t) {
    return t && tok_special_id(t, "<|im_start|>") >= 0 && tok_special_id(t, "<|im_end|>") >= 0;
}

/* appends src[0..n) to a growing id array */
static void chat_append(int **ids, int *len, int *cap, const int *src, int n) {
    if (*len + n > *cap) {
        *cap = 2 * (*len + n) + 16;
        *ids = ut_realloc(*ids, (size_t)*cap * sizeof(int));
    }
    memcpy(*ids + *len, src, (size_t)n * sizeof(int));
    *len += n;
}

static void chat_append_text(tok_tokenizer *t, int **ids, int *len, int *cap, const char *s, int flags) {
    int k = 0;
    int *e = tok_encode(t, s, strlen(s), flags, &k);
    chat_append(ids, len, cap, e, k);
    free(e);
}

/* the prompt part with the user text `before`, then npad ids pad, then `after` */
static int *chat_encode_parts(tok_tokenizer *t, const char *before, int pad, int npad, const char *after, int *n) {
    int *ids = NULL, len = 0, cap = 0, markers = chat_has_markers(t);
    int start = markers ? tok_special_id(t, "<|im_start|>") : -1, end = markers ? tok_special_id(t, "<|im_end|>") : -1;
    if (markers) {
        chat_append(&ids, &len, &cap, &start, 1);
        chat_append_text(t, &ids, &len, &cap, "user\n", 0);
    }
    chat_append_text(t, &ids, &len, &cap, before, 0);
    for (int i = 0; i < npad; i++) chat_append(&ids, &len, &cap, &pad, 1);
    if (after) chat_append_text(t, &ids, &len, &cap, after, 0);
    if (markers) {
        chat_append(&ids, &len, &cap, &end, 1);
        chat_append_text(t, &ids, &len, &cap, "\n", 0);
        chat_append(&ids, &len, &cap, &start, 1);
        chat_append_text(t, &ids, &len, &cap, "assistant\n", 0);
    }
    if (!ids) ids = ut_malloc(sizeof(int));
    *n = len;
    return ids;
}

int *chat_encode_prompt(tok_tokenizer *t, const char *prompt, int *n) {
    return chat_encode_parts(t, prompt, 0, 0, NULL, n);
}

int *chat_encode_image_prompt(tok_tokenizer *t, const char *prompt, int pad, int ntok, int *n) {
    const char *at = strstr(prompt, CHAT_IMAGE);
    const char *why = NULL;
    if (!at) why = "holds no " CHAT_IMAGE " (where the picture goes)";
    else if (strstr(at + strlen(CHAT_IMAGE), CHAT_IMAGE)) why = "holds " CHAT_IMAGE " more than once (one picture per prompt)";
    else if (!tok_is_special(t, pad)) why = "has a placeholder id that is not a special token of the tokenizer";
    else if (ntok < 1) why = "needs at least one placeholder";
    if (why) {
        ut_fail("image prompt \"%.40s\" %s", prompt, why);
        return NULL;
    }
    size_t k = (size_t)(at - prompt);
    char *before = ut_malloc(k + 1);
    memcpy(before, prompt, k);
    before[k] = 0;
    int *ids = chat_encode_parts(t, before, pad, ntok, at + strlen(CHAT_IMAGE), n);
    free(before);
    return ids;
}

int *chat_encode_answer(tok_tokenizer *t, const char *answer, int *n) {
    int *ids = tok_encode(t, answer, strlen(answer), TOK_SPECIAL, n);
    return ids;
}

const char *chat_program(const char *answer) {
    const char *p = answer, *q;
    while ((q = strstr(p, "</think>"))) p = q + 8;
    if (p == answer) return answer;
    while (*p == '\n' || *p == '\r' || *p == ' ' || *p == '\t') p++;
    return p;
}

char *chat_plan(const char *answer) {
    const char *a = strstr(answer, "<think>");
    if (!a) return NULL;
    a += 7;
    const char *b = strstr(a, "</think>");
    if (!b) return NULL;
    while (a < b && (*a == '\n' || *a == ' ' || *a == '\r' || *a == '\t')) a++;
    while (b > a && (b[-1] == '\n' || b[-1] == ' ' || b[-1] == '\r' || b[-1] == '\t')) b--;
    size_t n = (size_t)(b - a);
    char *r = ut_malloc(n + 1);
    memcpy(r, a, n);
    r[n] = 0;
    return r;
}
