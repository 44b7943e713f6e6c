/* server.h - the web page's HTTP server (libmicrohttpd): static files and the JSON API.
 *
 * Routes (everything else: 404 {"error": ...}; a known path with another method: 405 + Allow):
 *   GET  /                  the page (index.html); GET /<file> the other embedded files (assets.h)
 *   GET  /api/status        {"generate": bool, "step": bool, "workers": n}
 *   POST /api/execute       api.h wa_execute: run a program -> mesh, level, volume, box, params
 *   POST /api/params        api.h wa_params: the program's numeric parameters only
 *   POST /api/export        api.h wa_export: STL, OBJ, STEP or the program, as a download
 *   POST /api/generate      api.h wa_generate: prompt / image -> program through the callback
 * HEAD is accepted wherever GET is. Errors are JSON {"error": message} (api.h).
 *
 * Hostile use is bounded:
 *   - bodies: a Content-Length above max_body is answered 413 before reading the body; a chunked
 *     body that grows past it is discarded and answered 413;
 *   - slow or silent clients: a connection with no traffic for idle_timeout_s is closed, and the
 *     request headers may take at most 32 KiB (libmicrohttpd's connection memory limit);
 *   - connections: at most max_connections at once (each has its own thread); more are refused;
 *   - work: POST requests run through a gate of `workers` slots; up to max_waiting more wait
 *     (at most max_wait_s) and anything beyond gets 503 {"error": "server busy ..."} at once
 *     with Retry-After: 1;
 *   - programs: the sandbox limits of api.limits (instructions, memory, wall time, size).
 * Static files come only from the embedded table, so no path reaches the file system.
 *
 * Logging: one line per request on stderr ("POST /api/execute 200 12.3 ms") unless quiet.
 * Errors: sv_start returns NULL + ut_error() (bad address, port in use, libmicrohttpd failure).
 * Thread safety: a started server serves requests on its own threads; sv_stats may be called
 * from any thread; sv_stop once, from the thread that started it.
 */
#ifndef RECAD_WEB_SERVER_H
#define RECAD_WEB_SERVER_H

#include <stddef.h>

#include "web/api.h"

typedef struct {
    const char *addr;     /* IPv4 address to listen on (default "127.0.0.1") */
    int port;             /* TCP port (default 8080); 0 = any free port (see sv_port) */
    int workers;          /* POST requests working at once (default: the number of CPUs) */
    int max_waiting;      /* requests that may queue for a worker (default 64) */
    double max_wait_s;    /* longest wait in that queue, seconds (default 10) */
    size_t max_body;      /* request body limit, bytes (default 1 MiB) */
    int idle_timeout_s;   /* close a connection silent this long (default 10) */
    int max_connections;  /* open connections at once (default 128) */
    int quiet;            /* no request log */
    wa_config api;        /* sandbox limits, STEP timeout, generation callback */
} sv_config;

typedef struct sv_server sv_server;

typedef struct {
    long requests;  /* answered */
    long busy;      /* answered 503 because every worker and queue slot was taken */
    long too_large; /* answered 413 */
    int running;    /* POST requests working now */
    int waiting;    /* ... and queued */
} sv_stats;

void sv_default_config(sv_config *c);
sv_server *sv_start(const sv_config *c);
int sv_port(const sv_server *s);  /* the port it listens on */
void sv_get_stats(sv_server *s, sv_stats *st);
void sv_stop(sv_server *s);       /* closes every connection, waits for its threads, frees */

#endif
