/* cmd_serve.c - `recad serve`: the web page for editing a part by its parameters (web/server.h). */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "cli/args.h"
#include "cli/cli.h"
#include "cli/prog.h"
#include "infer/generate.h"
#include "web/server.h"

/* the generation callback: one model, one call at a time */
typedef struct {
    inf_model *g;
    inf_opts o;
    pthread_mutex_t lock;
} serve_gen;

static int serve_generate(void *ctx, const char *prompt, const unsigned char *image, size_t image_len, char **program) {
    serve_gen *sg = ctx;
    (void)image;
    if (!prompt || !*prompt)
        return ut_fail(image_len ? "the loaded model reads text only: describe the part in words" : "the prompt is empty");
    inf_result r;
    pthread_mutex_lock(&sg->lock);
    int rc = inf_generate(sg->g, prompt, &sg->o, &r);
    pthread_mutex_unlock(&sg->lock);
    if (rc) return -1;
    if (r.best < 0) {
        const char *why = r.n && r.cand[0].error ? r.cand[0].error : "no answer";
        ut_fail("no valid part among %d candidates (first error: %s)", r.n, why);
        inf_result_free(&r);
        return -1;
    }
    *program = ut_strdup(r.cand[r.best].program);
    inf_result_free(&r);
    return 0;
}

/* blocks SIGINT and SIGTERM (the server's threads inherit the mask) and returns the set */
static sigset_t serve_block_signals(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    return set;
}

CLI_COMMAND(cmd_serve, "serve", "the web page: describe a part, drag its parameters, download it") {
    sv_config cfg;
    sv_default_config(&cfg);
    long port = cfg.port, workers = cfg.workers, timeout = cfg.idle_timeout_s, max_body_kb = (long)(cfg.max_body >> 10);
    int quiet = 0, no_model = 0, first;
    const char *model = NULL;
    const arg_opt opts[] = {
        ARG_STR("addr", 0, &cfg.addr, "IP", "IPv4 address to listen on (default 127.0.0.1; 0.0.0.0: every interface)"),
        ARG_LONG("port", 'p', &port, 0, 65535, "N", "TCP port (default 8080; 0: any free port, printed)"),
        ARG_LONG("workers", 0, &workers, 1, 256, "N", "requests executing at once (default: the number of CPUs)"),
        ARG_LONG("timeout", 0, &timeout, 1, 3600, "S", "close a connection idle this many seconds (default 10)"),
        ARG_LONG("max-body", 0, &max_body_kb, 1, 1 << 20, "KB", "largest request body in KiB (default 1024)"),
        ARG_FLAG("quiet", 'q', &quiet, "no request log on stderr"),
        ARG_STR("model", 'm', &model, "DIR", "generation model (default: the shipped one, models/default, when present)"),
        ARG_FLAG("no-model", 0, &no_model, "serve without a generation model (the prompt box answers 503)"),
        PROG_OPTS(&cfg.api.limits),
        ARG_END};
    const arg_spec spec = {
        "serve", "[--addr IP] [--port N] [options]",
        "Serves the recad page and its JSON API until interrupted (Ctrl-C). Open the printed\n"
        "address in a browser: type a CADLib program (or a description, once a generation model is\n"
        "loaded), drag the sliders of its numeric parameters, see the part redrawn, download it as\n"
        "STL, OBJ, STEP or the program. Every program runs in the sandbox (2 s, 64 extrudes).\n"
        "The page is built into the binary; docs/web.md describes the page and the API.",
        opts, 0, 0, NULL, "exit codes: 0 stopped by a signal, 2 usage error, 3 cannot listen\n"};
    int rc = arg_parse(&spec, argc, argv, &first);
    if (rc != ARG_GO) return rc;
    cfg.port = (int)port;
    cfg.workers = (int)workers;
    cfg.idle_timeout_s = (int)timeout;
    cfg.max_body = (size_t)max_body_kb << 10;
    cfg.quiet = quiet;
    serve_gen sg = {NULL, {0}, PTHREAD_MUTEX_INITIALIZER};
    if (!no_model) {
        const char *dir = model ? model : inf_default_dir();
        char cfgpath[4200];
        snprintf(cfgpath, sizeof cfgpath, "%s/config.json", dir);
        if (model || access(cfgpath, R_OK) == 0) {
            if (!(sg.g = inf_load(dir))) return cli_error(CLI_IO, "serve", "cannot load the model: %s", ut_error());
            inf_default_opts(&sg.o);
            sg.o.lim = cfg.api.limits;
            cfg.api.generate = serve_generate;
            cfg.api.generate_ctx = &sg;
        }
    }
    sigset_t set = serve_block_signals();
    sv_server *s = sv_start(&cfg);
    if (!s) {
        inf_free(sg.g);
        return cli_error(CLI_IO, "serve", "%s", ut_error());
    }
    if (sg.g && !quiet) fprintf(stderr, "recad serve: generation model %s\n", inf_dir(sg.g));
    printf("recad serve: http://%s:%d/ (Ctrl-C stops)\n", cfg.addr, sv_port(s));
    fflush(stdout);
    int sig = 0;
    sigwait(&set, &sig);
    fprintf(stderr, "recad serve: %s, stopping\n", sig == SIGINT ? "interrupted" : "terminated");
    sv_stop(s);
    inf_free(sg.g);
    return CLI_OK;
}
