/* cmd_tokenizer.c - `recad tokenizer train|encode|decode`: byte-level BPE (see src/tokenizer.h). */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "ml/tokenizer.h"
#include "base/util.h"

static const char *tk_cmd = "tokenizer";

static void tk_usage(FILE *f) {
    fprintf(f,
            "usage: recad tokenizer train --vocab N --out tokenizer.json [options] FILES...\n"
            "       recad tokenizer encode --tokenizer tokenizer.json [--special] [--json] (--text TEXT | FILE)\n"
            "       recad tokenizer decode --tokenizer tokenizer.json [--skip-special] [--json] [IDS...]\n"
            "\n"
            "train: learn a byte-level BPE vocabulary of N ids (256 bytes + merges + special tokens).\n"
            "  FILES are text files; *.jsonl files contribute the string fields of each line's object\n"
            "  (only the fields named by --field when given).\n"
            "  --vocab N            target vocabulary size (required)\n"
            "  --out PATH           output tokenizer.json (required; written atomically)\n"
            "  --field NAME         JSONL field to read (repeatable; default: every string field)\n"
            "  --special TOKEN      special token (repeatable; default: <|endoftext|> <|im_start|>\n"
            "                       <|im_end|> <think> </think> <image>)\n"
            "  --min-frequency F    stop when the best pair occurs fewer than F times (default 2)\n"
            "  --json               print a JSON summary\n"
            "encode: print the token ids of TEXT or of a file's bytes, space separated.\n"
            "  --special            match special token strings in the text (otherwise plain bytes)\n"
            "decode: print the bytes of the ids given as arguments (or read from stdin).\n"
            "  --skip-special       leave special tokens out\n");
}

/* adds a file to the trainer: plain text, or the string fields of JSONL lines */
static int tk_add_file(tok_trainer *tr, const char *path, char **fields, int nfields, size_t *bytes) {
    size_t n;
    char *s = ut_read_file(path, &n);
    if (!s) return cli_error(CLI_IO, tk_cmd, "%s", ut_error());
    if (strcmp(ut_path_ext(path), ".jsonl")) {
        tok_trainer_add(tr, s, n);
        *bytes += n;
        free(s);
        return 0;
    }
    int lineno = 0;
    for (char *line = s; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = 0;
        lineno++;
        const char *p = line;
        while (*p == ' ' || *p == '\t' || *p == '\r') p++;
        if (*p) {
            cJSON *o = cJSON_Parse(line);
            if (!cJSON_IsObject(o)) {
                cJSON_Delete(o);
                free(s);
                return cli_error(CLI_INVALID, tk_cmd, "%s:%d: not a JSON object", path, lineno);
            }
            for (cJSON *e = o->child; e; e = e->next) {
                if (!cJSON_IsString(e)) continue;
                int want = nfields == 0;
                for (int i = 0; i < nfields && !want; i++) want = !strcmp(e->string, fields[i]);
                if (!want) continue;
                size_t l = strlen(e->valuestring);
                tok_trainer_add(tr, e->valuestring, l);
                *bytes += l;
            }
            cJSON_Delete(o);
        }
        line = nl ? nl + 1 : NULL;
    }
    free(s);
    return 0;
}

static int tk_train(int argc, char **argv) {
    static const struct option opts[] = {{"vocab", required_argument, 0, 'v'},   {"out", required_argument, 0, 'o'},
                                         {"field", required_argument, 0, 'f'},   {"special", required_argument, 0, 's'},
                                         {"min-frequency", required_argument, 0, 'm'},
                                         {"json", no_argument, 0, 'j'},          {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    long vocab = 0, minf = 2;
    const char *out = NULL;
    int json = 0, nfields = 0, nspecials = 0, c;
    char **fields = ut_calloc((size_t)argc + 1, sizeof *fields), **specials = ut_calloc((size_t)argc + 1, sizeof *specials);
    int rc = CLI_USAGE;
    while ((c = getopt_long(argc, argv, "v:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'v': if (cli_parse_long(tk_cmd, "--vocab", optarg, &vocab)) goto done; break;
        case 'm': if (cli_parse_long(tk_cmd, "--min-frequency", optarg, &minf)) goto done; break;
        case 'o': out = optarg; break;
        case 'f': fields[nfields++] = optarg; break;
        case 's': specials[nspecials++] = optarg; break;
        case 'j': json = 1; break;
        case 'h': tk_usage(stdout); rc = CLI_OK; goto done;
        default: goto done;
        }
    }
    if (vocab < 257 || vocab > 1 << 22) {
        cli_error(CLI_USAGE, tk_cmd, "train: --vocab must be between 257 and %d", 1 << 22);
        goto done;
    }
    if (!out || optind >= argc) {
        cli_error(CLI_USAGE, tk_cmd, "train: needs --out PATH and at least one input file");
        goto done;
    }
    double t0 = ut_now();
    tok_trainer *tr = tok_trainer_new();
    size_t bytes = 0;
    for (int i = optind; i < argc; i++)
        if ((rc = tk_add_file(tr, argv[i], fields, nfields, &bytes))) {
            tok_trainer_free(tr);
            goto done;
        }
    tok_train_opts o = {.vocab_size = (int)vocab, .min_frequency = (int)minf,
                        .specials = nspecials ? (const char *const *)specials : NULL, .nspecials = nspecials,
                        .quiet = json};
    tok_tokenizer *t = tok_trainer_finish(tr, &o);
    tok_trainer_free(tr);
    if (!t) {
        rc = cli_error(CLI_USAGE, tk_cmd, "train: %s", ut_error());
        goto done;
    }
    double dt = ut_now() - t0;
    if (tok_save(t, out)) {
        rc = cli_error(CLI_IO, tk_cmd, "%s", ut_error());
        tok_free(t);
        goto done;
    }
    if (json) {
        cJSON *r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "out", out);
        cJSON_AddNumberToObject(r, "vocab_size", tok_vocab_size(t));
        cJSON_AddNumberToObject(r, "merges", tok_nmerges(t));
        cJSON_AddNumberToObject(r, "corpus_bytes", (double)bytes);
        cJSON_AddNumberToObject(r, "seconds", dt);
        char *js = cJSON_PrintUnformatted(r);
        printf("%s\n", js);
        free(js);
        cJSON_Delete(r);
    } else {
        printf("%s: %d ids (%d merges) from %zu bytes in %.2f s\n", out, tok_vocab_size(t), tok_nmerges(t), bytes, dt);
    }
    tok_free(t);
    rc = CLI_OK;
done:
    free(fields);
    free(specials);
    return rc;
}

static int tk_encode(int argc, char **argv) {
    static const struct option opts[] = {{"tokenizer", required_argument, 0, 't'}, {"text", required_argument, 0, 'x'},
                                         {"special", no_argument, 0, 's'},         {"json", no_argument, 0, 'j'},
                                         {"help", no_argument, 0, 'h'},            {0, 0, 0, 0}};
    const char *tpath = NULL, *text = NULL;
    int special = 0, json = 0, c;
    while ((c = getopt_long(argc, argv, "t:x:h", opts, NULL)) != -1) {
        switch (c) {
        case 't': tpath = optarg; break;
        case 'x': text = optarg; break;
        case 's': special = 1; break;
        case 'j': json = 1; break;
        case 'h': tk_usage(stdout); return CLI_OK;
        default: return CLI_USAGE;
        }
    }
    if (!tpath) return cli_error(CLI_USAGE, tk_cmd, "encode: needs --tokenizer PATH");
    if (!text && optind != argc - 1) return cli_error(CLI_USAGE, tk_cmd, "encode: give --text TEXT or one FILE");
    size_t n;
    char *buf = NULL;
    if (text) n = strlen(text);
    else if (!(buf = ut_read_file(argv[optind], &n))) return cli_error(CLI_IO, tk_cmd, "%s", ut_error());
    tok_tokenizer *t = tok_load(tpath);
    if (!t) {
        free(buf);
        return cli_error(access(tpath, R_OK) ? CLI_IO : CLI_INVALID, tk_cmd, "%s", ut_error());
    }
    int nids;
    int *ids = tok_encode(t, text ? text : buf, n, special ? TOK_SPECIAL : 0, &nids);
    if (json) {
        cJSON *r = cJSON_CreateObject();
        cJSON_AddItemToObject(r, "ids", cJSON_CreateIntArray(ids, nids));
        cJSON_AddNumberToObject(r, "count", nids);
        cJSON_AddNumberToObject(r, "bytes", (double)n);
        char *js = cJSON_PrintUnformatted(r);
        printf("%s\n", js);
        free(js);
        cJSON_Delete(r);
    } else {
        for (int i = 0; i < nids; i++) printf(i ? " %d" : "%d", ids[i]);
        printf("\n");
    }
    free(ids);
    free(buf);
    tok_free(t);
    return CLI_OK;
}

static int tk_decode(int argc, char **argv) {
    static const struct option opts[] = {{"tokenizer", required_argument, 0, 't'}, {"skip-special", no_argument, 0, 's'},
                                         {"json", no_argument, 0, 'j'},            {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *tpath = NULL;
    int skip = 0, json = 0, c;
    while ((c = getopt_long(argc, argv, "t:h", opts, NULL)) != -1) {
        switch (c) {
        case 't': tpath = optarg; break;
        case 's': skip = 1; break;
        case 'j': json = 1; break;
        case 'h': tk_usage(stdout); return CLI_OK;
        default: return CLI_USAGE;
        }
    }
    if (!tpath) return cli_error(CLI_USAGE, tk_cmd, "decode: needs --tokenizer PATH");
    int *ids = NULL, nids = 0, cap = 0;
    if (optind < argc) {
        for (int i = optind; i < argc; i++) {
            long v;
            if (cli_parse_long(tk_cmd, "id", argv[i], &v) || v < 0 || v > 1 << 30) {
                free(ids);
                return cli_error(CLI_USAGE, tk_cmd, "decode: '%s' is not a token id", argv[i]);
            }
            *UT_PUSH(ids, nids, cap) = (int)v;
        }
    } else {
        long v;
        while (scanf("%ld", &v) == 1) *UT_PUSH(ids, nids, cap) = (int)v;
        if (!feof(stdin)) {
            free(ids);
            return cli_error(CLI_INVALID, tk_cmd, "decode: stdin holds something that is not a token id");
        }
    }
    tok_tokenizer *t = tok_load(tpath);
    if (!t) {
        free(ids);
        return cli_error(access(tpath, R_OK) ? CLI_IO : CLI_INVALID, tk_cmd, "%s", ut_error());
    }
    size_t len;
    char *s = tok_decode(t, ids, nids, skip ? TOK_SKIP_SPECIAL : 0, &len);
    int rc = CLI_OK;
    if (!s) rc = cli_error(CLI_INVALID, tk_cmd, "decode: %s", ut_error());
    else if (json) {
        cJSON *r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "text", s);
        cJSON_AddNumberToObject(r, "bytes", (double)len);
        char *js = cJSON_PrintUnformatted(r);
        printf("%s\n", js);
        free(js);
        cJSON_Delete(r);
    } else
        fwrite(s, 1, len, stdout);
    free(s);
    free(ids);
    tok_free(t);
    return rc;
}

CLI_COMMAND(cmd_tokenizer, "tokenizer", "train a byte-level BPE tokenizer; encode and decode text") {
    if (argc < 2) {
        tk_usage(stderr);
        return CLI_USAGE;
    }
    const char *sub = argv[1];
    if (!strcmp(sub, "--help") || !strcmp(sub, "-h")) {
        tk_usage(stdout);
        return CLI_OK;
    }
    if (!strcmp(sub, "train")) return tk_train(argc - 1, argv + 1);
    if (!strcmp(sub, "encode")) return tk_encode(argc - 1, argv + 1);
    if (!strcmp(sub, "decode")) return tk_decode(argc - 1, argv + 1);
    return cli_error(CLI_USAGE, tk_cmd, "unknown subcommand '%s' (train, encode or decode)", sub);
}
