/* cmd_describe.c - `recad describe FILE`: the abstract and detailed descriptions of a part and
 * the think plan of its training answer (data/describe.h). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/cli.h"
#include "cli/prog.h"
#include "data/describe.h"
#include "data/import.h"
#include "base/util.h"

/* a CADLib program, or a DeepCAD / Fusion 360 / Text2CAD JSON file, into m; a CLI exit code */
static int describe_load(const char *path, const ex_limits *lim, cad_model *m) {
    if (access(path, R_OK) != 0) return cli_error(CLI_IO, "describe", "cannot read %s", path);
    if (strcmp(ut_path_ext(path), ".json") != 0) return prog_run("describe", path, lim, m, NULL);
    im_report rep;
    int rc = im_load(path, NULL, m, &rep);
    if (rc == 0 && im_validate(m, &rep)) rc = ut_fail("%s: invalid geometry: %s", path, ut_error());
    for (int i = 0; i < rep.nwarnings; i++) fprintf(stderr, "recad describe: warning: %s\n", rep.warnings[i]);
    im_report_free(&rep);
    if (rc) {
        cad_free(m);
        return cli_error(CLI_INVALID, "describe", "%s", ut_error());
    }
    return CLI_OK;
}

/* the descriptions of seeds [seed, seed + n) */
static int describe_print(const ds_part *p, long seed, long n, int json) {
    cJSON *j = json ? cJSON_CreateObject() : NULL, *ab = NULL, *de = NULL;
    if (json) ab = cJSON_AddArrayToObject(j, "abstract"), de = cJSON_AddArrayToObject(j, "detailed");
    for (long s = seed; s < seed + n; s++) {
        char *a = NULL, *d = NULL;
        if (ds_describe_part(p, NULL, (uint64_t)s, DS_ABSTRACT, &a) || ds_describe_part(p, NULL, (uint64_t)s, DS_DETAILED, &d)) {
            free(a);
            cJSON_Delete(j);
            return cli_error(CLI_INVALID, "describe", "%s", ut_error());
        }
        if (json) {
            cJSON_AddItemToArray(ab, cJSON_CreateString(a));
            cJSON_AddItemToArray(de, cJSON_CreateString(d));
        } else {
            if (n > 1) printf("-- seed %ld\n", s);
            printf("abstract:\n%s\n\ndetailed:\n%s\n\n", a, d);
        }
        free(a);
        free(d);
    }
    char *t = ds_think_part(p, NULL);
    if (!t) {
        cJSON_Delete(j);
        return cli_error(CLI_INVALID, "describe", "%s", ut_error());
    }
    if (json) {
        cJSON_AddStringToObject(j, "think", t);
        cli_print_json(j);
    } else {
        printf("think:\n%s\n", t);
    }
    free(t);
    return CLI_OK;
}

CLI_COMMAND(cmd_describe, "describe", "describe a part in words: abstract, detailed, and the think plan") {
    const char *cmd = "describe";
    long seed = 1;
    int all = 0, json = 0, first;
    ex_limits lim;
    ex_default_limits(&lim);
    const arg_opt opts[] = {ARG_LONG("seed", 's', &seed, 0, 1e15, "S", "the seed that picks style and wording (default 1)"),
                            ARG_FLAG("all", 0, &all, "print the descriptions of 8 seeds from S on (S, S+1, ..., S+7)"),
                            ARG_FLAG("json", 0, &json, "print one JSON object: abstract[], detailed[], think"),
                            PROG_OPTS(&lim), ARG_END};
    const arg_spec spec = {cmd, "FILE [--seed S] [--all] [--json] [options]",
                           "Describes a part - a CADLib program (.lua) or a DeepCAD / Fusion 360 / Text2CAD JSON file -\n"
                           "as the training data does: an abstract description (what it is, no numbers), a detailed one\n"
                           "(every dimension needed to rebuild it) and the short plan of the answer's <think> block.\n"
                           "Features are recognised from the geometry (docs/data_describe.md); the seed picks the style.",
                           opts, 1, 1, "FILE",
                           "exit codes: 0 ok, 1 invalid program, file or geometry, 2 usage error, 3 file error\n"};
    int rc = arg_parse(&spec, argc, argv, &first);
    if (rc != ARG_GO) return rc;
    cad_model m;
    rc = describe_load(argv[first], &lim, &m);
    if (rc != CLI_OK) return rc;
    ds_part p;
    if (ds_analyze(&m, &p) < 0) rc = cli_error(CLI_INVALID, cmd, "%s: %s", argv[first], ut_error());
    else rc = describe_print(&p, seed, all ? 8 : 1, json);
    ds_part_free(&p);
    cad_free(&m);
    return rc;
}
