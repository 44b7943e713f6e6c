/* load.h - a small HTTP/1.1 client for loopback checks of the server: one raw request and its
 * raw answer, and a load run (a fixed number of requests at a fixed concurrency, latencies).
 *
 * Every request opens its own connection ("Connection: close") and reads until the server closes
 * it; send and receive are bounded by timeout_s (SO_SNDTIMEO / SO_RCVTIMEO and a deadline).
 * wl_run counts as `ok` a 2xx answer, as `errors` any other complete answer whose body is a JSON
 * object with an "error" (a clear refusal: 503 busy, 422 ...), and as `failures` everything else:
 * no connection, a timeout, a closed connection without an answer, a malformed answer.
 * Errors: -1 + ut_error(). Thread safety: calls are independent (wl_run starts its own threads).
 */
#ifndef RECAD_WEB_LOAD_H
#define RECAD_WEB_LOAD_H

#include <stddef.h>

/* sends req[0..len) to host:port (IPv4) and reads the answer until the server closes: *out is
 * malloc'd, NUL-terminated, at most 64 MiB (free it). Returns the HTTP status (0 when the
 * connection closed before a status line), or -1 + ut_error() (no connection, timeout). */
int wl_exchange(const char *host, int port, const char *req, size_t len, double timeout_s, char **out, size_t *out_len);

/* the body of an answer (after the blank line), or NULL */
const char *wl_body(const char *answer);

typedef struct {
    const char *host; /* "127.0.0.1" */
    int port;
    const char *path;  /* "/api/execute" */
    const char *body;  /* POSTed as application/json */
    int requests, concurrency;
    double timeout_s;  /* per request */
} wl_spec;

typedef struct {
    int ok, errors, failures;
    int by_status[6];           /* answers by status class: [2] = 2xx, [4] = 4xx, [5] = 5xx */
    double p50_ms, p99_ms, max_ms; /* latency of the ok answers */
    double seconds;             /* the whole run */
    char first_failure[160];    /* what went wrong first, "" if nothing */
} wl_result;

/* runs the load; -1 + ut_error() only for a bad spec */
int wl_run(const wl_spec *s, wl_result *r);

#endif
