/* cmd_serve.c - `recad serve`: the web page for editing a part by its parameters (web/server.h). */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "base/util.h"
#include "cli/args.h"
#include "cli/cli.h"
#include "cli/prog.h"
#include "web/server.h"

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
    int quiet = 0, first;
    const arg_opt opts[] = {
        ARG_STR("addr", 0, &cfg.addr, "IP", "IPv4 address to listen on (default 127.0.0.1; 0.0.0.0: every interface)"),
        ARG_LONG("port", 'p', &port, 0, 65535, "N", "TCP port (default 8080; 0: any free port, printed)"),
        ARG_LONG("workers", 0, &workers, 1, 256, "N", "requests executing at once (default: the number of CPUs)"),
        ARG_LONG("timeout", 0, &timeout, 1, 3600, "S", "close a connection idle this many seconds (default 10)"),
        ARG_LONG("max-body", 0, &max_body_kb, 1, 1 << 20, "KB", "largest request body in KiB (default 1024)"),
        ARG_FLAG("quiet", 'q', &quiet, "no request log on stderr"),
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
    cfg.api.generate = NULL; /* no generation model yet: /api/generate answers 503 */
    sigset_t set = serve_block_signals();
    sv_server *s = sv_start(&cfg);
    if (!s) return cli_error(CLI_IO, "serve", "%s", ut_error());
    printf("recad serve: http://%s:%d/ (Ctrl-C stops)\n", cfg.addr, sv_port(s));
    fflush(stdout);
    int sig = 0;
    sigwait(&set, &sig);
    fprintf(stderr, "recad serve: %s, stopping\n", sig == SIGINT ? "interrupted" : "terminated");
    sv_stop(s);
    return CLI_OK;
}
