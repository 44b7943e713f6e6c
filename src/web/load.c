/* load.c - loopback HTTP client and load runs (load.h). */
#include "web/load.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "base/util.h"

#define WL_MAX_ANSWER ((size_t)64 << 20)

static int wl_connect(const char *host, int port, double timeout_s) {
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) return ut_fail("%s is not an IPv4 address", host);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return ut_fail("socket: %s", strerror(errno));
    struct timeval tv = {(time_t)timeout_s, (suseconds_t)((timeout_s - (double)(time_t)timeout_s) * 1e6)};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        int e = errno;
        close(fd);
        return ut_fail("connect %s:%d: %s", host, port, strerror(e));
    }
    return fd;
}

int wl_exchange(const char *host, int port, const char *req, size_t len, double timeout_s, char **out, size_t *out_len) {
    *out = NULL;
    int fd = wl_connect(host, port, timeout_s);
    if (fd < 0) return -1;
    double deadline = ut_now() + timeout_s;
    for (size_t sent = 0; sent < len;) {
        ssize_t k = send(fd, req + sent, len - sent, MSG_NOSIGNAL);
        if (k <= 0) break; /* the server may answer (413) and close before reading everything */
        sent += (size_t)k;
    }
    size_t n = 0, cap = 4096;
    char *buf = ut_malloc(cap + 1);
    for (;;) {
        if (ut_now() > deadline) {
            free(buf);
            close(fd);
            return ut_fail("no complete answer within %.1f s", timeout_s);
        }
        if (n == cap) {
            if (cap >= WL_MAX_ANSWER) break;
            cap *= 2;
            buf = ut_realloc(buf, cap + 1);
        }
        ssize_t k = recv(fd, buf + n, cap - n, 0);
        if (k == 0) break;
        if (k < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            free(buf);
            close(fd);
            if (e == ECONNRESET && n > 0) break;
            return ut_fail("recv: %s", e == EAGAIN || e == EWOULDBLOCK ? "timed out" : strerror(e));
        }
        n += (size_t)k;
    }
    close(fd);
    buf[n] = 0;
    *out = buf;
    if (out_len) *out_len = n;
    int status = 0;
    if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1) status = 0;
    return status;
}

const char *wl_body(const char *answer) {
    const char *b = answer ? strstr(answer, "\r\n\r\n") : NULL;
    return b ? b + 4 : NULL;
}

typedef struct {
    const wl_spec *spec;
    char *req;
    size_t req_len;
    pthread_mutex_t mu;
    int next;              /* next request index to claim */
    double *lat;           /* latencies of ok answers, ms */
    wl_result *r;
} wl_run_state;

static void wl_record(wl_run_state *st, int status, const char *answer, double ms) {
    pthread_mutex_lock(&st->mu);
    wl_result *r = st->r;
    const char *body = wl_body(answer);
    if (status >= 200 && status < 300) st->lat[r->ok++] = ms;
    else if (status >= 100 && status < 600 && body && body[0] == '{' && strstr(body, "\"error\""))
        r->errors++;
    else {
        r->failures++;
        if (!r->first_failure[0])
            snprintf(r->first_failure, sizeof r->first_failure, "%s", status < 0 ? ut_error() : "answer without a JSON error");
    }
    if (status >= 100 && status < 600) r->by_status[status / 100]++;
    pthread_mutex_unlock(&st->mu);
}

static void *wl_worker(void *arg) {
    wl_run_state *st = arg;
    for (;;) {
        pthread_mutex_lock(&st->mu);
        int i = st->next < st->spec->requests ? st->next++ : -1;
        pthread_mutex_unlock(&st->mu);
        if (i < 0) return NULL;
        double t0 = ut_now();
        char *answer = NULL;
        int status = wl_exchange(st->spec->host, st->spec->port, st->req, st->req_len, st->spec->timeout_s, &answer, NULL);
        wl_record(st, status, answer, (ut_now() - t0) * 1e3);
        free(answer);
    }
}

static int wl_cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int wl_run(const wl_spec *s, wl_result *r) {
    memset(r, 0, sizeof *r);
    if (s->requests < 1 || s->concurrency < 1 || s->concurrency > 1024 || !s->path || !s->body || s->timeout_s <= 0)
        return ut_fail("load spec out of range");
    wl_run_state st = {s, NULL, 0, PTHREAD_MUTEX_INITIALIZER, 0, ut_calloc((size_t)s->requests, sizeof(double)), r};
    size_t blen = strlen(s->body);
    st.req = ut_malloc(blen + 512);
    st.req_len = (size_t)snprintf(st.req, 512,
                                  "POST %s HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json\r\n"
                                  "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                                  s->path, s->host, s->port, blen);
    memcpy(st.req + st.req_len, s->body, blen);
    st.req_len += blen;
    double t0 = ut_now();
    pthread_t *th = ut_calloc((size_t)s->concurrency, sizeof *th);
    for (int i = 0; i < s->concurrency; i++) pthread_create(&th[i], NULL, wl_worker, &st);
    for (int i = 0; i < s->concurrency; i++) pthread_join(th[i], NULL);
    r->seconds = ut_now() - t0;
    if (r->ok > 0) {
        qsort(st.lat, (size_t)r->ok, sizeof(double), wl_cmp);
        r->p50_ms = st.lat[(r->ok - 1) / 2];
        r->p99_ms = st.lat[(int)((r->ok - 1) * 0.99)];
        r->max_ms = st.lat[r->ok - 1];
    }
    free(th);
    free(st.lat);
    free(st.req);
    pthread_mutex_destroy(&st.mu);
    return 0;
}
