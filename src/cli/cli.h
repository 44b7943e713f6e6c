/* cli.h - the `recad <command>` front end.
 *
 * Each command lives in its own cli/cmd_*.c file and registers itself:
 *
 *   CLI_COMMAND(cmd_info, "info", "report volume, area, centroid, bbox and counts of a part")
 *   { ... parse argv with arg_parse (cli/args.h), call the library, print, return an exit code ... }
 *
 * argv[0] is the command name. Every command answers --help (usage on stdout, exit 0).
 * Exit codes that scripts can trust:
 *   0 CLI_OK       success
 *   1 CLI_INVALID  the input was read but is invalid (program error, bad geometry, bad JSON)
 *   2 CLI_USAGE    wrong options or arguments
 *   3 CLI_IO       a file could not be read or written
 * Errors go to stderr as "recad <command>: <reason>". Commands that report something accept
 * --json and then print exactly one JSON object on stdout.
 */
#ifndef RECAD_CLI_H
#define RECAD_CLI_H

enum { CLI_OK = 0, CLI_INVALID = 1, CLI_USAGE = 2, CLI_IO = 3 };

typedef int (*cli_fn)(int argc, char **argv);
typedef struct {
    const char *name, *summary;
    cli_fn fn;
} cli_command;

void cli_register(const cli_command *c);
/* prints "recad <cmd>: <formatted message>\n" to stderr and returns code */
int cli_error(int code, const char *cmd, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* prints j unformatted on one line of stdout and frees it (the --json output of a command) */
struct cJSON;
void cli_print_json(struct cJSON *j);

/* `recad train grpo ...` (cmd_grpo.c), reached through `recad train` */
int cli_train_grpo(int argc, char **argv);

#define CLI_COMMAND(ident, name, summary)                                                 \
    static int ident(int argc, char **argv);                                              \
    __attribute__((constructor)) static void ident##_register(void) {                    \
        static const cli_command c = {name, summary, ident};                              \
        cli_register(&c);                                                                 \
    }                                                                                     \
    static int ident(int argc, char **argv)

#endif
