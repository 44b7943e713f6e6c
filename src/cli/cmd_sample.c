/* cmd_sample.c - `recad sample`: generate continuations of a prompt from a checkpoint folder. */
#include <cjson/cJSON.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/cli.h"
#include "ml/nn.h"
#include "ml/sampler.h"
#include "ml/tokenizer.h"
#include "base/util.h"

static const char *sample_cmd = "sample";

static const char *sample_finish_name(int f) { return f == SMP_EOS ? "eos" : f == SMP_STOP ? "stop" : "length"; }

CLI_COMMAND(cmd_sample, "sample", "generate programs from a model checkpoint (batched, KV cache)") {
    const char *dir = NULL, *prompt = NULL, *prompt_file = NULL;
    long n = 1, top_k = 0, max_new = 256, seed = 0, threads = 0;
    double temp = 1.0, top_p = 1.0;
    int json = 0, plain = 0, bf16 = 0, kv8 = 0, first;
    arg_strs stopl = {0}, eosl = {0};
    const arg_opt opts[] = {
        ARG_STR("model", 'm', &dir, "DIR", "checkpoint folder (required)"),
        ARG_STR("prompt", 'p', &prompt, "TEXT", "the prompt"),
        ARG_STR("prompt-file", 0, &prompt_file, "FILE", "read the prompt from a file"),
        ARG_LONG("samples", 'n', &n, 1, 4096, "G", "samples (default 1), generated as one batch"),
        ARG_DOUBLE("temperature", 0, &temp, 0, INFINITY, "T", "default 1; 0 = greedy"),
        ARG_DOUBLE_GT("top-p", 0, &top_p, 0, 1, "P", "nucleus sampling (default 1 = off)"),
        ARG_LONG("top-k", 0, &top_k, 0, 1 << 30, "K", "keep the K most likely tokens (default 0 = off)"),
        ARG_LONG("max-new", 0, &max_new, 1, 1 << 20, "N", "new tokens per sample at most (default 256)"),
        ARG_LONG("seed", 0, &seed, (double)LONG_MIN, (double)LONG_MAX, "S", "sample i uses seed S + i * golden ratio (default 0)"),
        ARG_STRS("stop", 0, &stopl, "S", "stop string (repeatable); the text is cut before it"),
        ARG_STRS("eos", 0, &eosl, "TOKEN",
                 "special token that ends a sample (repeatable; default\n<|endoftext|> and <|im_end|> when the tokenizer has them)"),
        ARG_FLAG("plain-prompt", 0, &plain, "encode the prompt as plain text (special strings not matched)"),
        ARG_LONG("threads", 0, &threads, 0, 4096, "N", "threads (default 0: all cores)"),
        ARG_FLAG("bf16", 0, &bf16, "reduced precision for speed: bfloat16 KV cache, and bfloat16\ndecode products where the CPU has AVX512_BF16 (float32 otherwise)"),
        ARG_FLAG("kv8", 0, &kv8, "faster still: 8-bit KV cache (int8 with a scale per position and\nhead), the products as with --bf16; replaces --bf16"),
        ARG_FLAG("json", 0, &json, "one JSON object: samples with text, ids, log-probabilities"),
        ARG_END};
    const arg_spec spec = {
        sample_cmd, "--model DIR (--prompt TEXT | --prompt-file FILE) [options]",
        "\nGenerates continuations of the prompt. DIR holds config.json, model.safetensors and\n"
        "tokenizer.json. The prompt is encoded with special tokens matched (a chat template such\n"
        "as \"<|im_start|>user\\n...<|im_end|>\\n<|im_start|>assistant\\n\" works as written).",
        opts, 0, 0, NULL, NULL};
    int rc = arg_parse(&spec, argc, argv, &first);
    const char **stops = stopl.v, **eos_names = eosl.v;
    int nstop = stopl.n, neos_names = eosl.n;
    char *pbuf = NULL;
    tok_tokenizer *tok = NULL;
    nn_model *m = NULL;
    smp_sampler *s = NULL;
    smp_seq *out = NULL;
    int *ids = NULL;
    if (rc != ARG_GO) goto done;
    rc = CLI_USAGE;
    if (!dir || (!prompt == !prompt_file)) {
        cli_error(CLI_USAGE, sample_cmd, "needs --model DIR and one of --prompt TEXT / --prompt-file FILE");
        goto done;
    }
    for (int i = 0; i < nstop; i++)
        if (!stops[i][0]) {
            cli_error(CLI_USAGE, sample_cmd, "--stop needs a non-empty string");
            goto done;
        }
    if (prompt_file && !(prompt = pbuf = ut_read_file(prompt_file, NULL))) {
        rc = cli_error(CLI_IO, sample_cmd, "%s", ut_error());
        goto done;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/tokenizer.json", dir);
    if (!(tok = tok_load(path))) {
        rc = cli_error(access(path, R_OK) ? CLI_IO : CLI_INVALID, sample_cmd, "%s", ut_error());
        goto done;
    }
    if (!(m = nn_load(dir))) {
        snprintf(path, sizeof path, "%s/model.safetensors", dir);
        rc = cli_error(access(path, R_OK) ? CLI_IO : CLI_INVALID, sample_cmd, "%s", ut_error());
        goto done;
    }
    nn_set_threads(m, (int)threads);
    if (tok_vocab_size(tok) > m->cfg.vocab_size) {
        rc = cli_error(CLI_INVALID, sample_cmd, "%s: tokenizer has %d ids but the model's vocabulary is %d", dir,
                       tok_vocab_size(tok), m->cfg.vocab_size);
        goto done;
    }
    int eos[64], neos = 0;
    if (neos_names == 0) {
        const char *dflt[] = {"<|endoftext|>", "<|im_end|>"};
        for (int i = 0; i < 2; i++)
            if (tok_special_id(tok, dflt[i]) >= 0) eos[neos++] = tok_special_id(tok, dflt[i]);
    }
    for (int i = 0; i < neos_names && neos < 64; i++) {
        int id = tok_special_id(tok, eos_names[i]);
        if (id < 0) {
            rc = cli_error(CLI_USAGE, sample_cmd, "--eos '%s' is not a special token of %s", eos_names[i], path);
            goto done;
        }
        eos[neos++] = id;
    }
    int P;
    ids = tok_encode(tok, prompt, strlen(prompt), plain ? 0 : TOK_SPECIAL, &P);
    if (P == 0) {
        rc = cli_error(CLI_USAGE, sample_cmd, "the prompt is empty");
        goto done;
    }
    if (P + max_new > m->cfg.max_position_embeddings) {
        long room = m->cfg.max_position_embeddings - P;
        if (room < 1) {
            rc = cli_error(CLI_INVALID, sample_cmd, "the prompt has %d tokens; the model takes %d positions", P,
                           m->cfg.max_position_embeddings);
            goto done;
        }
        max_new = room; /* generate up to the model's context */
    }
    s = smp_new(m);
    out = ut_calloc((size_t)n, sizeof *out);
    smp_opts o = {.n = (int)n, .max_new = (int)max_new, .temperature = (float)temp, .top_p = (float)top_p,
                  .top_k = (int)top_k, .seed = (uint64_t)seed, .eos_ids = eos, .neos = neos,
                  .stop = (const char *const *)stops, .nstop = nstop, .tok = tok, .precision = kv8 ? SMP_KV8 : bf16 ? SMP_BF16 : SMP_F32};
    double t0 = ut_now();
    if (smp_generate(s, ids, P, &o, out)) {
        rc = cli_error(CLI_INVALID, sample_cmd, "%s", ut_error());
        free(out);
        out = NULL;
        goto done;
    }
    double dt = ut_now() - t0;
    long total = 0;
    for (int i = 0; i < n; i++) total += out[i].ntokens;
    if (json) {
        cJSON *r = cJSON_CreateObject();
        cJSON_AddNumberToObject(r, "prompt_tokens", P);
        cJSON_AddStringToObject(r, "precision", smp_precision_desc(o.precision));
        cJSON *arr = cJSON_AddArrayToObject(r, "samples");
        for (int i = 0; i < n; i++) {
            cJSON *q = cJSON_CreateObject();
            cJSON_AddStringToObject(q, "text", out[i].text);
            cJSON_AddItemToObject(q, "ids", cJSON_CreateIntArray(out[i].tokens, out[i].ntokens));
            cJSON_AddItemToObject(q, "logprobs", cJSON_CreateFloatArray(out[i].logprobs, out[i].ntokens));
            cJSON_AddStringToObject(q, "finish", sample_finish_name(out[i].finish));
            cJSON_AddItemToArray(arr, q);
        }
        cJSON_AddNumberToObject(r, "new_tokens", (double)total);
        cJSON_AddNumberToObject(r, "seconds", dt);
        cJSON_AddNumberToObject(r, "tokens_per_s", dt > 0 ? (double)total / dt : 0);
        cli_print_json(r);
    } else {
        for (int i = 0; i < n; i++) {
            if (n > 1) printf("=== sample %d (%d tokens, %s)\n", i, out[i].ntokens, sample_finish_name(out[i].finish));
            fwrite(out[i].text, 1, out[i].text_len, stdout);
            printf("\n");
        }
        fprintf(stderr, "recad sample: %ld new tokens in %.2f s (%.0f tokens/s; %s)\n", total, dt, dt > 0 ? total / dt : 0,
                smp_precision_desc(o.precision));
    }
    rc = CLI_OK;
done:
    if (out)
        for (int i = 0; i < n; i++) smp_seq_free(&out[i]);
    free(out);
    free(ids);
    smp_free(s);
    nn_free(m);
    tok_free(tok);
    free(pbuf);
    free(stops);
    free(eos_names);
    return rc;
}
