/* util.h - small helpers shared by every recad module.
 *
 * Errors: a function that fails returns -1 (or NULL) after calling ut_fail(), which stores a
 * printf-formatted reason in a thread-local buffer; the caller reads it with ut_error().
 * Callers that add context use ut_fail("while reading %s: %s", path, ut_error()) - ut_fail copies
 * its arguments before overwriting the buffer, so passing ut_error() back in is safe.
 *
 * Files: ut_read_file() reads a whole file (NUL-terminated copy); outputs are written atomically
 * with ut_write_atomic() or ut_atomic_open()/ut_atomic_commit() (temp file in the same folder,
 * fsync, rename), so a crash never leaves a half-written output or checkpoint.
 *
 * Progress: ut_progress draws "label [#####.....] 12/40 3.1/s ETA 9s" on stderr, redrawn in
 * place on a terminal and printed every few seconds as plain lines otherwise.
 *
 * Random numbers: ut_rng is xoshiro256** seeded through splitmix64; the same seed gives the same
 * stream on every machine.
 */
#ifndef RECAD_UTIL_H
#define RECAD_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#if defined(__GNUC__)
#define UT_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define UT_PRINTF(a, b)
#endif

/* ---- errors ---- */
int ut_fail(const char *fmt, ...) UT_PRINTF(1, 2); /* sets the reason, returns -1 */
const char *ut_error(void);                        /* last reason ("" if none) */
void ut_clear_error(void);

/* ---- memory: abort with a message on out-of-memory (sizes here are small and trusted) ---- */
void *ut_malloc(size_t n);
void *ut_calloc(size_t n, size_t size);
void *ut_realloc(void *p, size_t n);
char *ut_strdup(const char *s);
/* grow *arr (elements of elsize) so that it holds at least need elements; *cap is updated */
void ut_grow(void **arr, int *cap, int need, size_t elsize);
#define UT_PUSH(arr, n, cap) (ut_grow((void **)&(arr), &(cap), (n) + 1, sizeof *(arr)), &(arr)[(n)++])

/* ---- files ---- */
char *ut_read_file(const char *path, size_t *len); /* NULL + ut_error on failure */
/* the same, reading at most max bytes: a longer file or stream (a device, a pipe) fails with
   "<path> is larger than the limit of <max> bytes" after reading max + 1 bytes */
char *ut_read_file_max(const char *path, size_t max, size_t *len);
int ut_write_atomic(const char *path, const void *data, size_t len);
typedef struct {
    FILE *f;
    char *path, *tmp;
} ut_atomic;
int ut_atomic_open(ut_atomic *a, const char *path); /* writes go to a->f */
int ut_atomic_commit(ut_atomic *a);                 /* flush, fsync, rename; frees a */
void ut_atomic_abort(ut_atomic *a);                 /* removes the temp file; frees a */
int ut_mkdirs(const char *path);                    /* mkdir -p */
const char *ut_path_ext(const char *path);          /* ".stl" or "" */
/* path as it is when absolute, else relative to the folder of file (a JSONL naming its pictures);
   malloc'd */
char *ut_path_beside(const char *file, const char *path);
int ut_is_dir(const char *path);

/* ---- text from outside (program errors, file names) ---- */
/* length (1-4) of the well-formed UTF-8 sequence at s, 0 if s[0] starts none (s NUL-terminated) */
int ut_utf8_len(const char *s);
/* a copy of s fit for output (free it): UT_TEXT_UTF8 replaces every byte that is not part of
   well-formed UTF-8 by U+FFFD (for JSON); UT_TEXT_TERMINAL also writes control characters (C0,
   DEL, C1: terminal escape sequences) and those bytes as the text "\xNN", so that printing an
   error cannot drive the terminal */
enum { UT_TEXT_UTF8 = 0, UT_TEXT_TERMINAL = 1 };
char *ut_text_clean(const char *s, int mode);

/* ---- time ---- */
double ut_now(void); /* monotonic seconds */

/* ---- progress bar ---- */
typedef struct {
    const char *label;
    long total, done;
    double t0, last_draw;
    int tty, quiet;
} ut_progress;
void ut_progress_start(ut_progress *p, const char *label, long total);
void ut_progress_update(ut_progress *p, long done); /* cheap: redraws at most ~10/s */
void ut_progress_finish(ut_progress *p);

/* ---- random numbers ---- */
typedef struct {
    uint64_t s[4];
} ut_rng;
void ut_rng_seed(ut_rng *r, uint64_t seed);
uint64_t ut_rng_u64(ut_rng *r);
double ut_rng_uniform(ut_rng *r); /* [0, 1), 53 random bits */
float ut_rng_uniformf(ut_rng *r); /* [0, 1) */
double ut_rng_normal(ut_rng *r);  /* standard normal */

#endif
