/* web_load.c - a bounded loopback load on `recad serve`: a fixed number of execute requests of a
 * typical part at a fixed concurrency, then the server's memory. It starts the server itself
 * (build/recad serve --port 0 -q), so the server's resident memory can be read from /proc.
 *
 *   build/bench/web_load [--requests N] [--concurrency C] [--workers W] [PROGRAM.lua]
 *   defaults: 2000 requests, concurrency 32, the server's default workers, examples/plate.lua
 *
 * Prints requests, concurrency, answers (ok / clear errors / failures), execute latency p50 / p99
 * / max of the ok answers, throughput, and the server's RSS before the run, after a warm-up of
 * 32 requests and after the run. Exit status 0 when there was no failure (every request got a
 * result or a clear JSON error) and the server was still up at the end, else 1.
 */
#include <cjson/cJSON.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/util.h"
#include "web/load.h"

/* the server's resident memory in KiB, -1 if unknown */
static long wb_rss_kb(pid_t pid) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1) break;
    if (f) fclose(f);
    return kb;
}

/* starts build/recad serve on a free port; returns its pid and *port */
static pid_t wb_start(const char *workers, int *port) {
    int fd[2];
    if (pipe(fd) < 0) return -1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        if (workers) execl("build/recad", "recad", "serve", "--port", "0", "-q", "--workers", workers, (char *)NULL);
        else execl("build/recad", "recad", "serve", "--port", "0", "-q", (char *)NULL);
        _exit(127);
    }
    close(fd[1]);
    FILE *f = fdopen(fd[0], "r");
    char line[256] = "";
    *port = 0;
    if (!fgets(line, sizeof line, f) || sscanf(line, "recad serve: http://%*[0-9.]:%d/", port) != 1) {
        fprintf(stderr, "web_load: the server did not start: %s\n", line);
        kill(pid, SIGTERM);
        return -1;
    }
    fclose(f);
    return pid;
}

int main(int argc, char **argv) {
    int requests = 2000, conc = 32;
    const char *prog = "examples/plate.lua", *workers = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--requests") && i + 1 < argc) requests = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--concurrency") && i + 1 < argc) conc = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--workers") && i + 1 < argc) workers = argv[++i];
        else if (argv[i][0] != '-') prog = argv[i];
        else {
            fprintf(stderr, "usage: web_load [--requests N] [--concurrency C] [--workers W] [PROGRAM.lua]\n");
            return 2;
        }
    }
    char *src = ut_read_file(prog, NULL);
    if (!src) {
        fprintf(stderr, "web_load: %s\n", ut_error());
        return 2;
    }
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "program", src);
    char *body = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    int port;
    pid_t pid = wb_start(workers, &port);
    if (pid < 0) return 1;
    long rss0 = wb_rss_kb(pid);
    wl_spec warm = {"127.0.0.1", port, "/api/execute", body, 32, 8, 60};
    wl_result r;
    wl_run(&warm, &r);
    long rss1 = wb_rss_kb(pid);
    wl_spec spec = {"127.0.0.1", port, "/api/execute", body, requests, conc, 60};
    if (wl_run(&spec, &r) < 0) {
        fprintf(stderr, "web_load: %s\n", ut_error());
        return 2;
    }
    long rss2 = wb_rss_kb(pid);
    char *a = NULL;
    int up = wl_exchange("127.0.0.1", port, "GET /api/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 60, 10, &a, NULL) == 200;
    free(a);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    printf("program %s, %d requests at concurrency %d\n", prog, requests, conc);
    printf("answers: %d ok, %d clear errors (2xx %d, 4xx %d, 5xx %d), %d failures%s%s\n", r.ok, r.errors, r.by_status[2],
           r.by_status[4], r.by_status[5], r.failures, r.failures ? ": " : "", r.first_failure);
    printf("execute latency (ok answers): p50 %.1f ms, p99 %.1f ms, max %.1f ms; %.1f requests/s over %.2f s\n", r.p50_ms,
           r.p99_ms, r.max_ms, requests / r.seconds, r.seconds);
    printf("server RSS: %ld KiB at start, %ld KiB after warm-up, %ld KiB after the run; still up: %s\n", rss0, rss1, rss2,
           up ? "yes" : "no");
    free(body);
    free(src);
    return r.failures == 0 && up ? 0 : 1;
}
