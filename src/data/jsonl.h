/* jsonl.h - JSON Lines files: one JSON value per line, read one line at a time.
 *
 * A jl_reader reads a file in blocks and hands out one record per non-blank line, parsed with
 * cJSON; the whole file is never held in memory. Lines end with '\n' (a '\r' before it is
 * whitespace); blank lines (only spaces, tabs, '\r', or the NUL bytes a crash can leave as
 * padding) are skipped; a UTF-8 byte-order mark at the start of the file is skipped. Any other
 * line must be exactly one JSON value: text after it, or a NUL byte in it, is an error.
 *
 * Limits: a line longer than max_line bytes (without its '\n') stops the reading with
 * "FILE:LINE: line longer than N bytes"; the default JL_MAX_LINE is 16 MiB.
 *
 * Errors: -1 + ut_error(), always naming the file and the 1-based line:
 *   "FILE:LINE: not valid JSON (column C: near '...')"
 *   "FILE:LINE: missing field \"KEY\"", "FILE:LINE: field \"KEY\" is not a string"
 * The field helpers take the reader only for these names (r->path, r->line of the current record).
 *
 *   jl_reader r;
 *   if (jl_open(&r, path, 0)) return -1;
 *   cJSON *rec;
 *   int rc;
 *   while ((rc = jl_next(&r, &rec)) == 1) {
 *       const char *s;
 *       if (jl_str(&r, rec, "prompt", &s)) { rc = -1; break; }
 *       ...
 *   }
 *   jl_close(&r);
 *
 * A reader that tolerates bad lines (an evaluation set counts them as invalid items) calls jl_next
 * again after a -1 whose r->line_error is set; the error names the line that was skipped.
 *
 * Thread safety: a reader belongs to one thread; distinct readers are independent.
 */
#ifndef RECAD_JSONL_H
#define RECAD_JSONL_H

#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#define JL_MAX_LINE ((size_t)16 << 20)

typedef struct {
    char *path;        /* the file, as given to jl_open */
    int line;          /* 1-based line of the current record (0 before the first) */
    size_t max_line;   /* longest accepted line in bytes */
    FILE *f;
    char *blk;         /* read block and its fill / read position */
    size_t blen, bpos;
    int eof;
    char *buf;         /* the current line, NUL-terminated */
    size_t len, cap;
    cJSON *rec;        /* the current record (owned here) */
    int line_error;    /* after jl_next's -1: 1 when only that line was bad (not valid JSON, a NUL
                          byte) and jl_next may go on with the next line; 0 for a read error or an
                          overlong line, after which the reader is done */
} jl_reader;

/* opens path; max_line 0 takes JL_MAX_LINE. On failure nothing needs closing. */
int jl_open(jl_reader *r, const char *path, size_t max_line);
/* the next record: 1 and *rec (owned by r, valid until the next jl_next / jl_close), 0 at the
 * end of the file, -1 on an error (reading, overlong line, malformed JSON) */
int jl_next(jl_reader *r, cJSON **rec);
void jl_close(jl_reader *r);

/* fields of an object record; errors name r->path, r->line and the key. A record that is not an
 * object fails every lookup ("FILE:LINE: not a JSON object"). The strings belong to the record. */
int jl_str(const jl_reader *r, const cJSON *rec, const char *key, const char **out);
int jl_num(const jl_reader *r, const cJSON *rec, const char *key, double *out);
/* optional fields: a missing key (or JSON null) gives def; a present one of the wrong type fails */
int jl_str_opt(const jl_reader *r, const cJSON *rec, const char *key, const char *def, const char **out);
int jl_num_opt(const jl_reader *r, const cJSON *rec, const char *key, double def, double *out);

#endif
