/* cmd_tokenizer.c - `recad tokenizer train|encode|decode`: byte-level BPE (see ml/tokenizer.h). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/cli.h"
#include "data/jsonl.h"
#include "ml/tokenizer.h"
#include "base/util.h"

static const char *tokenizer_cmd = "tokenizer";

static void tokenizer_usage(FILE *f) {
    fprintf(f,
            "usage: recad tokenizer train --vocab N --out tokenizer.json [options] FILES...\n"
            "       recad tokenizer encode --tokenizer tokenizer.json [--special] [--json] (--text TEXT | FILE)\n"
            "       recad tokenizer decode --tokenizer tokenizer.json [--skip-special] [--json] [IDS...]\n"
            "(recad tokenizer <subcommand> --help lists its options)\n");
}

/* adds a file to the trainer: plain text, or the string fields of JSONL lines */
static int tokenizer_add_file(tok_trainer *tr, const char *path, char **fields, int nfields, size_t *bytes) {
    if (strcmp(ut_path_ext(path), ".jsonl")) {
        size_t n;
        char *s = ut_read_file(path, &n);
        if (!s) return cli_error(CLI_IO, tokenizer_cmd, "%s", ut_error());
        tok_trainer_add(tr, s, n);
        *bytes += n;
        free(s);
        return 0;
    }
    jl_reader r;
    if (jl_open(&r, path, 0)) return cli_error(CLI_IO, tokenizer_cmd, "%s", ut_error());
    cJSON *o;
    int rc;
    while ((rc = jl_next(&r, &o)) == 1) {
        if (!cJSON_IsObject(o)) {
            rc = ut_fail("%s:%d: not a JSON object", path, r.line);
            break;
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
    }
    jl_close(&r);
    return rc < 0 ? cli_error(CLI_INVALID, tokenizer_cmd, "%s", ut_error()) : 0;
}

static int tokenizer_train(int argc, char **argv) {
    long vocab = 0, minf = 2;
    const char *out = NULL;
    int json = 0, first;
    arg_strs fieldl = {0}, specl = {0};
    const arg_opt opts[] = {
        ARG_LONG("vocab", 'v', &vocab, 257, 1 << 22, "N", "target vocabulary size (required)"),
        ARG_STR("out", 'o', &out, "PATH", "output tokenizer.json (required; written atomically)"),
        ARG_STRS("field", 0, &fieldl, "NAME", "JSONL field to read (repeatable; default: every string field)"),
        ARG_STRS("special", 0, &specl, "TOKEN",
                 "special token (repeatable; default: <|endoftext|> <|im_start|>\n<|im_end|> <think> </think> <image>)"),
        ARG_LONG("min-frequency", 0, &minf, 1, 1L << 40, "F", "stop when the best pair occurs fewer than F times (default 2)"),
        ARG_FLAG("json", 0, &json, "print a JSON summary"),
        ARG_END};
    const arg_spec spec = {"tokenizer train", "--vocab N --out tokenizer.json [options] FILES...",
                           "Learns a byte-level BPE vocabulary of N ids (256 bytes + merges + special tokens).\n"
                           "FILES are text files; *.jsonl files contribute the string fields of each line's object\n"
                           "(only the fields named by --field when given).",
                           opts, 1, -1, "input file", NULL};
    int rc = arg_parse(&spec, argc, argv, &first);
    char **fields = (char **)fieldl.v, **specials = (char **)specl.v;
    int nfields = fieldl.n, nspecials = specl.n;
    if (rc != ARG_GO) goto done;
    rc = CLI_USAGE;
    if (!vocab || !out) {
        cli_error(CLI_USAGE, tokenizer_cmd, "train: needs --vocab N and --out PATH");
        goto done;
    }
    double t0 = ut_now();
    tok_trainer *tr = tok_trainer_new();
    size_t bytes = 0;
    for (int i = first; i < argc; i++)
        if ((rc = tokenizer_add_file(tr, argv[i], fields, nfields, &bytes))) {
            tok_trainer_free(tr);
            goto done;
        }
    tok_train_opts o = {.vocab_size = (int)vocab, .min_frequency = (int)minf,
                        .specials = nspecials ? (const char *const *)specials : NULL, .nspecials = nspecials,
                        .quiet = json};
    tok_tokenizer *t = tok_trainer_finish(tr, &o);
    tok_trainer_free(tr);
    if (!t) {
        rc = cli_error(CLI_USAGE, tokenizer_cmd, "train: %s", ut_error());
        goto done;
    }
    double dt = ut_now() - t0;
    if (tok_save(t, out)) {
        rc = cli_error(CLI_IO, tokenizer_cmd, "%s", ut_error());
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
        cli_print_json(r);
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

static int tokenizer_encode(int argc, char **argv) {
    const char *tpath = NULL, *text = NULL;
    int special = 0, json = 0, first;
    const arg_opt opts[] = {ARG_STR("tokenizer", 't', &tpath, "PATH", "the tokenizer.json (required)"),
                            ARG_STR("text", 'x', &text, "TEXT", "the text to encode (instead of a FILE)"),
                            ARG_FLAG("special", 0, &special, "match special token strings in the text (otherwise plain bytes)"),
                            ARG_FLAG("json", 0, &json, "print one JSON object: ids, count, bytes"),
                            ARG_END};
    const arg_spec spec = {"tokenizer encode", "--tokenizer tokenizer.json [options] (--text TEXT | FILE)",
                           "Prints the token ids of TEXT or of a file's bytes, space separated.", opts, 0, 1, "FILE", NULL};
    int rc = arg_parse(&spec, argc, argv, &first);
    if (rc != ARG_GO) return rc;
    if (!tpath) return cli_error(CLI_USAGE, tokenizer_cmd, "encode: needs --tokenizer PATH");
    if (!text == (first == argc)) return cli_error(CLI_USAGE, tokenizer_cmd, "encode: give --text TEXT or one FILE");
    size_t n;
    char *buf = NULL;
    if (text) n = strlen(text);
    else if (!(buf = ut_read_file(argv[first], &n))) return cli_error(CLI_IO, tokenizer_cmd, "%s", ut_error());
    tok_tokenizer *t = tok_load(tpath);
    if (!t) {
        free(buf);
        return cli_error(access(tpath, R_OK) ? CLI_IO : CLI_INVALID, tokenizer_cmd, "%s", ut_error());
    }
    int nids;
    int *ids = tok_encode(t, text ? text : buf, n, special ? TOK_SPECIAL : 0, &nids);
    if (json) {
        cJSON *r = cJSON_CreateObject();
        cJSON_AddItemToObject(r, "ids", cJSON_CreateIntArray(ids, nids));
        cJSON_AddNumberToObject(r, "count", nids);
        cJSON_AddNumberToObject(r, "bytes", (double)n);
        cli_print_json(r);
    } else {
        for (int i = 0; i < nids; i++) printf(i ? " %d" : "%d", ids[i]);
        printf("\n");
    }
    free(ids);
    free(buf);
    tok_free(t);
    return CLI_OK;
}

static int tokenizer_decode(int argc, char **argv) {
    const char *tpath = NULL;
    int skip = 0, json = 0, first;
    const arg_opt opts[] = {ARG_STR("tokenizer", 't', &tpath, "PATH", "the tokenizer.json (required)"),
                            ARG_FLAG("skip-special", 0, &skip, "leave special tokens out"),
                            ARG_FLAG("json", 0, &json, "print one JSON object: text, bytes"),
                            ARG_END};
    const arg_spec spec = {"tokenizer decode", "--tokenizer tokenizer.json [options] [IDS...]",
                           "Prints the bytes of the ids given as arguments (or read from stdin).", opts, 0, -1, "id", NULL};
    int rc = arg_parse(&spec, argc, argv, &first);
    if (rc != ARG_GO) return rc;
    if (!tpath) return cli_error(CLI_USAGE, tokenizer_cmd, "decode: needs --tokenizer PATH");
    int *ids = NULL, nids = 0, cap = 0;
    if (first < argc) {
        for (int i = first; i < argc; i++) {
            long v;
            if (arg_to_long(argv[i], &v) || v < 0 || v > 1 << 30) {
                free(ids);
                return cli_error(CLI_USAGE, tokenizer_cmd, "decode: '%s' is not a token id", argv[i]);
            }
            *UT_PUSH(ids, nids, cap) = (int)v;
        }
    } else {
        long v;
        while (scanf("%ld", &v) == 1) *UT_PUSH(ids, nids, cap) = (int)v;
        if (!feof(stdin)) {
            free(ids);
            return cli_error(CLI_INVALID, tokenizer_cmd, "decode: stdin holds something that is not a token id");
        }
    }
    tok_tokenizer *t = tok_load(tpath);
    if (!t) {
        free(ids);
        return cli_error(access(tpath, R_OK) ? CLI_IO : CLI_INVALID, tokenizer_cmd, "%s", ut_error());
    }
    size_t len;
    char *s = tok_decode(t, ids, nids, skip ? TOK_SKIP_SPECIAL : 0, &len);
    rc = CLI_OK;
    if (!s) rc = cli_error(CLI_INVALID, tokenizer_cmd, "decode: %s", ut_error());
    else if (json) {
        cJSON *r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "text", s);
        cJSON_AddNumberToObject(r, "bytes", (double)len);
        cli_print_json(r);
    } else
        fwrite(s, 1, len, stdout);
    free(s);
    free(ids);
    tok_free(t);
    return rc;
}

CLI_COMMAND(cmd_tokenizer, "tokenizer", "train a byte-level BPE tokenizer; encode and decode text") {
    if (argc < 2) {
        tokenizer_usage(stderr);
        return CLI_USAGE;
    }
    const char *sub = argv[1];
    if (!strcmp(sub, "--help") || !strcmp(sub, "-h")) {
        tokenizer_usage(stdout);
        return CLI_OK;
    }
    if (!strcmp(sub, "train")) return tokenizer_train(argc - 1, argv + 1);
    if (!strcmp(sub, "encode")) return tokenizer_encode(argc - 1, argv + 1);
    if (!strcmp(sub, "decode")) return tokenizer_decode(argc - 1, argv + 1);
    return cli_error(CLI_USAGE, tokenizer_cmd, "unknown subcommand '%s' (train, encode or decode)", sub);
}
