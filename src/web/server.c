/* server.c - the HTTP server of the web page (server.h) on libmicrohttpd, one thread per
 * connection, with a gate that bounds the requests doing work. */
#include "web/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"
#include "eval/occt.h"
#include "web/assets.h"

struct sv_server {
    sv_config cfg;
    struct MHD_Daemon *d;
    int port;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int running, waiting;
    long requests, busy, too_large;
};

/* one request's state between libmicrohttpd's calls */
typedef struct {
    char *body;
    size_t n, cap;
    int too_large;
    double t0;
} sv_req;

void sv_default_config(sv_config *c) {
    memset(c, 0, sizeof *c);
    c->addr = "127.0.0.1";
    c->port = 8080;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    c->workers = ncpu > 0 ? (int)ncpu : 2;
    c->max_waiting = 64;
    c->max_wait_s = 10;
    c->max_body = 1 << 20;
    c->idle_timeout_s = 10;
    c->max_connections = 128;
    wa_default_config(&c->api);
}

/* ---- the work gate ---- */

/* 0 when a worker slot is taken (release it with sv_gate_leave), -1 when the server is busy */
static int sv_gate_enter(sv_server *s) {
    pthread_mutex_lock(&s->mu);
    int ok = 0;
    if (s->running < s->cfg.workers) ok = 1;
    else if (s->waiting < s->cfg.max_waiting) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        double end = until.tv_sec + until.tv_nsec * 1e-9 + s->cfg.max_wait_s;
        until.tv_sec = (time_t)end;
        until.tv_nsec = (long)((end - (double)until.tv_sec) * 1e9);
        s->waiting++;
        int rc = 0;
        while (s->running >= s->cfg.workers && rc != ETIMEDOUT) rc = pthread_cond_timedwait(&s->cv, &s->mu, &until);
        s->waiting--;
        ok = s->running < s->cfg.workers;
    }
    if (ok) s->running++;
    else s->busy++;
    pthread_mutex_unlock(&s->mu);
    return ok ? 0 : -1;
}

static void sv_gate_leave(sv_server *s) {
    pthread_mutex_lock(&s->mu);
    s->running--;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

/* ---- replies ---- */

static enum MHD_Result sv_send(struct MHD_Connection *c, sv_server *s, const char *method, const char *url,
                               sv_req *q, wa_reply *r, const char *allow) {
    struct MHD_Response *resp = MHD_create_response_from_buffer(r->len, r->body, MHD_RESPMEM_MUST_FREE);
    r->body = NULL;
    MHD_add_response_header(resp, "Content-Type", r->type);
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    if (r->filename[0]) {
        char cd[128];
        snprintf(cd, sizeof cd, "attachment; filename=\"%s\"", r->filename);
        MHD_add_response_header(resp, "Content-Disposition", cd);
    }
    if (allow) MHD_add_response_header(resp, "Allow", allow);
    if (r->status == 503) MHD_add_response_header(resp, "Retry-After", "1");
    enum MHD_Result rc = MHD_queue_response(c, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    pthread_mutex_lock(&s->mu);
    s->requests++;
    if (r->status == 413) s->too_large++;
    pthread_mutex_unlock(&s->mu);
    if (!s->cfg.quiet) fprintf(stderr, "%s %.200s %d %.1f ms\n", method, url, r->status, (ut_now() - q->t0) * 1e3);
    return rc;
}

static enum MHD_Result sv_static(struct MHD_Connection *c, sv_server *s, const char *method, const char *url, sv_req *q) {
    const as_file *f = as_find(strcmp(url, "/") == 0 ? "/index.html" : url);
    wa_reply r = {0};
    if (!f) {
        wa_error(&r, 404, 0, "no such page: %.200s", url);
        return sv_send(c, s, method, url, q, &r, NULL);
    }
    struct MHD_Response *resp = MHD_create_response_from_buffer(f->len, (void *)f->data, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(resp, "Content-Type", f->type);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    enum MHD_Result rc = MHD_queue_response(c, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    pthread_mutex_lock(&s->mu);
    s->requests++;
    pthread_mutex_unlock(&s->mu);
    if (!s->cfg.quiet) fprintf(stderr, "%s %.200s 200 %.1f ms\n", method, url, (ut_now() - q->t0) * 1e3);
    return rc;
}

static void sv_status(sv_server *s, wa_reply *r) {
    char *b = ut_malloc(128);
    int n = snprintf(b, 128, "{\"generate\":%s,\"step\":%s,\"workers\":%d}", s->cfg.api.generate ? "true" : "false",
                     oc_binary() ? "true" : "false", s->cfg.workers);
    r->status = 200;
    r->type = "application/json";
    r->body = (unsigned char *)b;
    r->len = (size_t)n;
}

typedef void (*sv_api_fn)(const wa_config *, const char *, size_t, wa_reply *);

static const struct {
    const char *path;
    sv_api_fn fn;
} sv_routes[] = {{"/api/execute", wa_execute}, {"/api/params", wa_params}, {"/api/export", wa_export}, {"/api/generate", wa_generate}};

static sv_api_fn sv_route(const char *url) {
    for (size_t i = 0; i < sizeof sv_routes / sizeof sv_routes[0]; i++)
        if (!strcmp(url, sv_routes[i].path)) return sv_routes[i].fn;
    return NULL;
}

/* the whole request has arrived: answer it */
static enum MHD_Result sv_answer(struct MHD_Connection *c, sv_server *s, const char *method, const char *url, sv_req *q) {
    int get = !strcmp(method, "GET") || !strcmp(method, "HEAD"), post = !strcmp(method, "POST");
    wa_reply r = {0};
    sv_api_fn fn = sv_route(url);
    if (!strcmp(url, "/api/status")) {
        if (!get) {
            wa_error(&r, 405, 0, "method %.20s not allowed on %s (use GET)", method, url);
            return sv_send(c, s, method, url, q, &r, "GET, HEAD");
        }
        sv_status(s, &r);
    } else if (fn) {
        if (!post) {
            wa_error(&r, 405, 0, "method %.20s not allowed on %s (use POST)", method, url);
            return sv_send(c, s, method, url, q, &r, "POST");
        }
        if (q->too_large) wa_error(&r, 413, 0, "request body too large (limit %zu bytes)", s->cfg.max_body);
        else if (sv_gate_enter(s) < 0)
            wa_error(&r, 503, 0, "server busy: %d requests working and %d waiting; try again", s->cfg.workers,
                     s->cfg.max_waiting);
        else {
            fn(&s->cfg.api, q->body ? q->body : "", q->n, &r);
            sv_gate_leave(s);
        }
    } else if (!strncmp(url, "/api/", 5)) {
        wa_error(&r, 404, 0, "no such endpoint: %.200s", url);
    } else if (get) {
        return sv_static(c, s, method, url, q);
    } else {
        wa_error(&r, 405, 0, "method %.20s not allowed on %.200s (use GET)", method, url);
        return sv_send(c, s, method, url, q, &r, "GET, HEAD");
    }
    return sv_send(c, s, method, url, q, &r, NULL);
}

static enum MHD_Result sv_access(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                 const char *version, const char *upload, size_t *upload_size, void **ptr) {
    (void)version;
    sv_server *s = cls;
    sv_req *q = *ptr;
    if (!q) { /* the headers have arrived */
        q = ut_calloc(1, sizeof *q);
        q->t0 = ut_now();
        *ptr = q;
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > s->cfg.max_body) {
            wa_reply r = {0};
            wa_error(&r, 413, 0, "request body too large (limit %zu bytes)", s->cfg.max_body);
            return sv_send(c, s, method, url, q, &r, NULL);
        }
        return MHD_YES;
    }
    if (*upload_size) {
        if (q->n + *upload_size > s->cfg.max_body) q->too_large = 1;
        if (!q->too_large) {
            if (q->n + *upload_size + 1 > q->cap) {
                q->cap = q->n + *upload_size + 1 > 2 * q->cap ? q->n + *upload_size + 1 : 2 * q->cap;
                if (q->cap > s->cfg.max_body + 1) q->cap = s->cfg.max_body + 1;
                q->body = ut_realloc(q->body, q->cap);
            }
            memcpy(q->body + q->n, upload, *upload_size);
            q->n += *upload_size;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    return sv_answer(c, s, method, url, q);
}

static void sv_completed(void *cls, struct MHD_Connection *c, void **ptr, enum MHD_RequestTerminationCode why) {
    (void)cls, (void)c, (void)why;
    sv_req *q = *ptr;
    if (q) free(q->body);
    free(q);
    *ptr = NULL;
}

sv_server *sv_start(const sv_config *cfg) {
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)cfg->port);
    if (!cfg->addr || inet_pton(AF_INET, cfg->addr, &sa.sin_addr) != 1) {
        ut_fail("address %s is not an IPv4 address (e.g. 127.0.0.1 or 0.0.0.0)", cfg->addr ? cfg->addr : "(none)");
        return NULL;
    }
    if (cfg->port < 0 || cfg->port > 65535 || cfg->workers < 1 || cfg->max_waiting < 0 || cfg->max_body < 1 ||
        cfg->idle_timeout_s < 1 || cfg->max_connections < 1) {
        ut_fail("server configuration out of range");
        return NULL;
    }
    sv_server *s = ut_calloc(1, sizeof *s);
    s->cfg = *cfg;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    s->d = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL, sv_access, s,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->idle_timeout_s,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->max_connections,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32 * 1024,
                            MHD_OPTION_NOTIFY_COMPLETED, sv_completed, s, MHD_OPTION_END);
    if (!s->d) {
        ut_fail("cannot listen on %s:%d (%s)", cfg->addr, cfg->port, errno ? strerror(errno) : "libmicrohttpd failed");
        pthread_mutex_destroy(&s->mu);
        pthread_cond_destroy(&s->cv);
        free(s);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : cfg->port;
    return s;
}

int sv_port(const sv_server *s) {
    return s->port;
}

void sv_get_stats(sv_server *s, sv_stats *st) {
    pthread_mutex_lock(&s->mu);
    st->requests = s->requests;
    st->busy = s->busy;
    st->too_large = s->too_large;
    st->running = s->running;
    st->waiting = s->waiting;
    pthread_mutex_unlock(&s->mu);
}

void sv_stop(sv_server *s) {
    if (!s) return;
    MHD_stop_daemon(s->d);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s);
}
