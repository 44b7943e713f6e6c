/* cmd_train.c - `recad train`: train the transformer on a JSONL of prompt/answer pairs. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "ml/nn.h"
#include "ml/tokenizer.h"
#include "train/train.h"
#include "base/util.h"

static void train_usage(void) {
    printf("usage: recad train --config model.json --data train.jsonl --out DIR [options]\n"
           "       recad train --init CHECKPOINT_DIR --data train.jsonl --out DIR [options]\n"
           "\n"
           "Trains the Qwen2-style decoder on {\"prompt\": ..., \"answer\": ...} lines (loss on the answer\n"
           "and the closing <|endoftext|> only). Writes DIR/metrics.csv, DIR/loss.png, checkpoints\n"
           "DIR/step-N/ (model, config, optimiser state), DIR/latest and DIR/final/.\n"
           "\n"
           "  --config FILE       model sizes (Hugging Face Qwen2 config.json keys); random init\n"
           "  --init DIR          start from DIR/config.json + DIR/model.safetensors instead\n"
           "  --data FILE         training JSONL\n"
           "  --out DIR           output folder\n"
           "  --tokenizer FILE    tokenizer.json (default: byte-level ids 0-255, end-of-text 256)\n"
           "  --steps N           updates (default 1000)\n"
           "  --batch N           sequences per update (default 8)\n"
           "  --seq N             longest sequence in tokens (default 512)\n"
           "  --lr X              peak learning rate (default 3e-4)\n"
           "  --lr-min X          final learning rate of the cosine (default 3e-5)\n"
           "  --warmup N          linear warmup steps (default steps/20)\n"
           "  --weight-decay X    AdamW decay on matrices (default 0.1)\n"
           "  --clip X            global gradient-norm clip, 0 = off (default 1.0)\n"
           "  --ckpt-every N      checkpoint period (default 200)\n"
           "  --log-every N       metrics/plot refresh period (default 10)\n"
           "  --seed N            data order and initialisation seed (default 1)\n"
           "  --init-std X        standard deviation of the random init (default 0.02)\n"
           "  --threads N         threads (default: all cores)\n"
           "  --resume            continue from DIR/latest if it exists\n"
           "  --quiet             no progress bar\n"
           "  --json              print a JSON summary on stdout\n");
}

static int train_num(const char *opt, const char *arg, double lo, double hi, double *out) {
    if (cli_parse_double("train", opt, arg, out)) return -1;
    if (!(*out >= lo && *out <= hi)) {
        cli_error(CLI_USAGE, "train", "%s %s out of range [%g, %g]", opt, arg, lo, hi);
        return -1;
    }
    return 0;
}

CLI_COMMAND(cmd_train, "train", "train the transformer on a JSONL of prompt/answer pairs") {
    enum { O_LRMIN = 256, O_WD, O_CLIP, O_CKPT, O_LOG, O_SEED, O_STD, O_THREADS, O_RESUME, O_QUIET, O_JSON, O_INIT, O_TOK };
    static const struct option opts[] = {
        {"config", required_argument, 0, 'c'},  {"data", required_argument, 0, 'd'},
        {"out", required_argument, 0, 'o'},     {"tokenizer", required_argument, 0, O_TOK},
        {"steps", required_argument, 0, 's'},   {"batch", required_argument, 0, 'b'},
        {"seq", required_argument, 0, 't'},     {"lr", required_argument, 0, 'l'},
        {"lr-min", required_argument, 0, O_LRMIN}, {"warmup", required_argument, 0, 'w'},
        {"weight-decay", required_argument, 0, O_WD}, {"clip", required_argument, 0, O_CLIP},
        {"ckpt-every", required_argument, 0, O_CKPT}, {"log-every", required_argument, 0, O_LOG},
        {"seed", required_argument, 0, O_SEED}, {"init-std", required_argument, 0, O_STD},
        {"threads", required_argument, 0, O_THREADS}, {"resume", no_argument, 0, O_RESUME},
        {"quiet", no_argument, 0, O_QUIET},     {"json", no_argument, 0, O_JSON},
        {"init", required_argument, 0, O_INIT}, {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    tr_options o = tr_defaults();
    const char *config = NULL, *data = NULL, *tokpath = NULL, *init = NULL;
    double v, std = 0.02;
    int threads = 0, json = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'h': train_usage(); return CLI_OK;
        case 'c': config = optarg; break;
        case 'd': data = optarg; break;
        case 'o': o.out_dir = optarg; break;
        case O_TOK: tokpath = optarg; break;
        case O_INIT: init = optarg; break;
        case 's': if (train_num("--steps", optarg, 1, 1e9, &v)) return CLI_USAGE; o.steps = (long)v; break;
        case 'b': if (train_num("--batch", optarg, 1, 1024, &v)) return CLI_USAGE; o.batch = (int)v; break;
        case 't': if (train_num("--seq", optarg, 1, 1 << 20, &v)) return CLI_USAGE; o.seq = (int)v; break;
        case 'l': if (train_num("--lr", optarg, 0, 10, &v)) return CLI_USAGE; o.lr = (float)v; break;
        case O_LRMIN: if (train_num("--lr-min", optarg, 0, 10, &v)) return CLI_USAGE; o.lr_min = (float)v; break;
        case 'w': if (train_num("--warmup", optarg, 0, 1e9, &v)) return CLI_USAGE; o.warmup = (long)v; break;
        case O_WD: if (train_num("--weight-decay", optarg, 0, 10, &v)) return CLI_USAGE; o.weight_decay = (float)v; break;
        case O_CLIP: if (train_num("--clip", optarg, 0, 1e9, &v)) return CLI_USAGE; o.clip = (float)v; break;
        case O_CKPT: if (train_num("--ckpt-every", optarg, 0, 1e9, &v)) return CLI_USAGE; o.ckpt_every = (long)v; break;
        case O_LOG: if (train_num("--log-every", optarg, 0, 1e9, &v)) return CLI_USAGE; o.log_every = (long)v; break;
        case O_SEED: if (train_num("--seed", optarg, 0, 9e15, &v)) return CLI_USAGE; o.seed = (uint64_t)v; break;
        case O_STD: if (train_num("--init-std", optarg, 0, 10, &v)) return CLI_USAGE; std = v; break;
        case O_THREADS: if (train_num("--threads", optarg, 1, 1024, &v)) return CLI_USAGE; threads = (int)v; break;
        case O_RESUME: o.resume = 1; break;
        case O_QUIET: o.quiet = 1; break;
        case O_JSON: json = 1; break;
        default: return cli_error(CLI_USAGE, "train", "unknown option (see recad train --help)");
        }
    }
    if (optind < argc) return cli_error(CLI_USAGE, "train", "unexpected argument \"%s\"", argv[optind]);
    if (!data || !o.out_dir) return cli_error(CLI_USAGE, "train", "--data and --out are required");
    if (!config == !init) return cli_error(CLI_USAGE, "train", "give exactly one of --config and --init");
    nn_model *m = NULL;
    if (init) {
        m = nn_load(init);
        if (!m) return cli_error(CLI_IO, "train", "%s", ut_error());
    } else {
        nn_config cfg;
        if (nn_config_load(&cfg, config)) return cli_error(CLI_INVALID, "train", "%s", ut_error());
        m = nn_new(&cfg);
        if (!m) return cli_error(CLI_INVALID, "train", "%s: %s", config, ut_error());
        nn_init_random(m, o.seed, (float)std);
    }
    nn_set_threads(m, threads);
    tok_tokenizer *tok = NULL;
    if (tokpath) {
        tok = tok_load(tokpath);
        if (!tok) {
            nn_free(m);
            return cli_error(CLI_IO, "train", "%s", ut_error());
        }
        if (tok_vocab_size(tok) > m->cfg.vocab_size) {
            int rc = cli_error(CLI_INVALID, "train", "tokenizer %s has %d tokens but the model's vocab_size is %d", tokpath,
                               tok_vocab_size(tok), m->cfg.vocab_size);
            tok_free(tok);
            nn_free(m);
            return rc;
        }
    } else if (m->cfg.vocab_size < 257) {
        nn_free(m);
        return cli_error(CLI_INVALID, "train", "byte-level training needs vocab_size >= 257 (or give --tokenizer)");
    }
    o.tok = tok;
    tr_data d;
    tr_data_init(&d);
    int rc = CLI_OK;
    if (tr_data_load_jsonl(&d, data, tok)) {
        rc = cli_error(ut_is_dir(data) || access(data, R_OK) ? CLI_IO : CLI_INVALID, "train", "%s", ut_error());
    } else {
        tr_result res;
        if (tr_train(m, &d, &o, &res)) {
            rc = cli_error(CLI_INVALID, "train", "%s", ut_error());
        } else if (json) {
            cJSON *j = cJSON_CreateObject();
            cJSON_AddStringToObject(j, "out", o.out_dir);
            cJSON_AddNumberToObject(j, "samples", d.n);
            cJSON_AddNumberToObject(j, "params", (double)m->num_params);
            cJSON_AddNumberToObject(j, "start_step", (double)res.start_step);
            cJSON_AddNumberToObject(j, "steps", (double)res.steps_done);
            cJSON_AddNumberToObject(j, "first_loss", res.first_loss);
            cJSON_AddNumberToObject(j, "last_loss", res.last_loss);
            cJSON_AddNumberToObject(j, "tokens_per_s", res.tokens_per_s);
            char *s = cJSON_PrintUnformatted(j);
            printf("%s\n", s);
            free(s);
            cJSON_Delete(j);
        } else {
            printf("trained steps %ld..%ld on %d samples: loss %.4f -> %.4f, %.0f tokens/s; model in %s/final\n",
                   res.start_step + 1, res.steps_done, d.n, res.first_loss, res.last_loss, res.tokens_per_s, o.out_dir);
        }
        free(res.losses);
    }
    tr_data_free(&d);
    tok_free(tok);
    nn_free(m);
    return rc;
}
