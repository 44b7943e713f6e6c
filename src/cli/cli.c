/* cli.c - `recad <command> [options]`: main() dispatches to the registered commands; the shared
 * error and JSON printing of cli.h. */
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "base/util.h"

static const cli_command *cli_cmds[64];
static int cli_ncmds;

void cli_register(const cli_command *c) {
    if (cli_ncmds < 64) cli_cmds[cli_ncmds++] = c;
}

int cli_error(int code, const char *cmd, const char *fmt, ...) {
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char *clean = ut_text_clean(buf, UT_TEXT_TERMINAL); /* error text may quote a program's bytes */
    fprintf(stderr, "recad %s: %s\n", cmd, clean);
    free(clean);
    return code;
}

/* every string of j as well-formed UTF-8 (invalid bytes become U+FFFD) */
static void cli_json_utf8(cJSON *j) {
    for (; j; j = j->next) {
        if (cJSON_IsString(j) && j->valuestring) {
            char *c = ut_text_clean(j->valuestring, UT_TEXT_UTF8);
            if (strcmp(c, j->valuestring)) cJSON_SetValuestring(j, c);
            free(c);
        }
        if (j->string && !(j->type & cJSON_StringIsConst)) {
            char *c = ut_text_clean(j->string, UT_TEXT_UTF8);
            if (strcmp(c, j->string)) {
                cJSON_free(j->string);
                j->string = cJSON_malloc(strlen(c) + 1);
                strcpy(j->string, c);
            }
            free(c);
        }
        cli_json_utf8(j->child);
    }
}

void cli_print_json(cJSON *j) {
    cli_json_utf8(j);
    char *s = cJSON_PrintUnformatted(j);
    if (s) printf("%s\n", s);
    free(s);
    cJSON_Delete(j);
}

static int cli_cmp(const void *a, const void *b) {
    return strcmp((*(const cli_command *const *)a)->name, (*(const cli_command *const *)b)->name);
}

static void cli_usage(FILE *f) {
    fprintf(f, "usage: recad <command> [options]   (recad <command> --help for its options)\n\ncommands:\n");
    for (int i = 0; i < cli_ncmds; i++) fprintf(f, "  %-10s %s\n", cli_cmds[i]->name, cli_cmds[i]->summary);
    fprintf(f, "\nexit codes: 0 ok, 1 invalid input, 2 usage error, 3 file error\n");
}

int main(int argc, char **argv) {
    qsort(cli_cmds, (size_t)cli_ncmds, sizeof *cli_cmds, cli_cmp);
    if (argc < 2) {
        cli_usage(stderr);
        return CLI_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        cli_usage(stdout);
        return CLI_OK;
    }
    for (int i = 0; i < cli_ncmds; i++)
        if (!strcmp(argv[1], cli_cmds[i]->name)) return cli_cmds[i]->fn(argc - 1, argv + 1);
    fprintf(stderr, "recad: unknown command '%s'\n", argv[1]);
    cli_usage(stderr);
    return CLI_USAGE;
}
