/* cmd_train.c - `recad train`: train the transformer on a JSONL of prompt/answer pairs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli/args.h"
#include "cli/cli.h"
#include "ml/chat.h"
#include "ml/nn.h"
#include "ml/tokenizer.h"
#include "ml/vlm.h"
#include "infer/evalgen.h"
#include "train/train.h"
#include "base/util.h"

/* a new joint model: m's decoder (weights copied) and a randomly initialised encoder of the
 * vision config in path, its placeholder the tokenizer's CHAT_IMAGE_PAD (added when missing) */
static vl_model *train_add_vision(vl_model *m, const char *path, tok_tokenizer *tok, uint64_t seed, float std) {
    if (m->enc) {
        ut_fail("the model already has a vision encoder; --vision adds one to a text model");
        return NULL;
    }
    if (!tok) {
        ut_fail("--vision needs --tokenizer (the image placeholder is a special token)");
        return NULL;
    }
    char *text = ut_read_file(path, NULL);
    if (!text) return NULL;
    vt_config vc;
    cJSON *j = cJSON_Parse(text);
    const cJSON *inner = j ? cJSON_GetObjectItemCaseSensitive(j, "vision_config") : NULL;
    char *obj = inner ? cJSON_PrintUnformatted(inner) : NULL; /* a whole config.json or the object alone */
    int bad = vt_config_parse(&vc, obj ? obj : text);
    free(obj);
    cJSON_Delete(j);
    free(text);
    if (bad) {
        ut_fail("%s: %s", path, ut_error());
        return NULL;
    }
    int pad = tok_add_special_token(tok, CHAT_IMAGE_PAD);
    if (pad < 0) return NULL;
    if (pad >= m->dec->cfg.vocab_size) {
        ut_fail("the image placeholder %s gets id %d, outside the model's vocab_size %d", CHAT_IMAGE_PAD, pad,
                m->dec->cfg.vocab_size);
        return NULL;
    }
    vl_model *v = vl_new(&m->dec->cfg, &vc, pad);
    if (!v) {
        ut_fail("%s: %s", path, ut_error());
        return NULL;
    }
    memcpy(v->dec->param_mem, m->dec->param_mem, m->dec->num_params * sizeof(float));
    vt_init_random(v->enc, seed + 1, std);
    return v;
}

/* the model to train: --init DIR or --config FILE (random), plus --vision; NULL + ut_error() with
 * *code the exit code */
static vl_model *train_model(const char *init, const char *config, const char *vision, tok_tokenizer *tok, uint64_t seed,
                             float std, int *code) {
    vl_model *m = NULL;
    *code = CLI_INVALID;
    if (init) {
        if (!(m = vl_load(init))) *code = CLI_IO;
    } else {
        nn_config cfg;
        if (nn_config_load(&cfg, config)) return NULL;
        if (!(m = vl_new(&cfg, NULL, -1))) {
            ut_fail("%s: %s", config, ut_error());
            return NULL;
        }
        nn_init_random(m->dec, seed, std);
    }
    if (m && vision) {
        vl_model *v = train_add_vision(m, vision, tok, seed, std);
        vl_free(m);
        m = v;
        if (!v && access(vision, R_OK)) *code = CLI_IO;
    }
    return m;
}

CLI_COMMAND(cmd_train, "train", "train the transformer on a JSONL of prompt/answer pairs") {
    if (argc > 1 && !strcmp(argv[1], "grpo")) return cli_train_grpo(argc - 1, argv + 1);
    tr_options o = tr_defaults();
    double max_min = 0;
    const char *config = NULL, *data = NULL, *tokpath = NULL, *init = NULL, *val = NULL, *vision = NULL, *images = NULL,
               *val_images = NULL;
    long steps = o.steps, batch = o.batch, seq = o.seq, warmup = o.warmup, ckpt = o.ckpt_every, keep = o.keep_ckpts,
         logp = o.log_every, seed = (long)o.seed, threads = 0, val_samples = o.val_samples, val_gen = 0, val_max_new = 512,
         context = 0;
    double lr = o.lr, lr_min = o.lr_min, wd = o.weight_decay, clip = o.clip, std = 0.02, share = o.image_share;
    int json = 0, uncond = 0, recompute = 0, first;
    const arg_opt opts[] = {
        ARG_STR("config", 0, &config, "FILE", "model sizes (Hugging Face Qwen2 config.json keys); random init"),
        ARG_STR("init", 0, &init, "DIR", "start from DIR/config.json + DIR/model.safetensors instead"),
        ARG_STR("data", 0, &data, "FILE", "training JSONL (required)"),
        ARG_STR("out", 0, &o.out_dir, "DIR", "output folder (required)"),
        ARG_STR("tokenizer", 0, &tokpath, "FILE", "tokenizer.json (default: byte-level ids 0-255, end-of-text 256)"),
        ARG_STR("vision", 0, &vision, "FILE", "add a randomly initialised vision encoder (a vision_config\nJSON object, docs/vision.md) to the model"),
        ARG_STR("images", 0, &images, "FILE", "image JSONL (recad data build --images) mixed into the batches"),
        ARG_DOUBLE_GT("image-share", 0, &share, 0, 1, "X", "share of the rows that are image samples (default 0.5)"),
        ARG_STR("val-images", 0, &val_images, "FILE", "validation image JSONL: val_image_loss"),
        ARG_LONG("context", 0, &context, 1, 1 << 20, "N",
                 "set the model's longest sequence (max_position_embeddings) to N,\ne.g. to train an --init model further on longer sequences"),
        ARG_LONG("steps", 0, &steps, 1, 1e9, "N", "updates (default 1000)"),
        ARG_LONG("batch", 0, &batch, 1, 1024, "N", "sequences per update (default 8)"),
        ARG_LONG("seq", 0, &seq, 1, 1 << 20, "N", "longest sequence in tokens (default 512)"),
        ARG_DOUBLE("lr", 0, &lr, 0, 10, "X", "peak learning rate (default 3e-4)"),
        ARG_DOUBLE("lr-min", 0, &lr_min, 0, 10, "X", "final learning rate of the cosine (default 3e-5)"),
        ARG_LONG("warmup", 0, &warmup, 0, 1e9, "N", "linear warmup steps (default steps/20)"),
        ARG_DOUBLE("weight-decay", 0, &wd, 0, 10, "X", "AdamW decay on matrices (default 0.1)"),
        ARG_DOUBLE("clip", 0, &clip, 0, 1e9, "X", "global gradient-norm clip, 0 = off (default 1.0)"),
        ARG_LONG("ckpt-every", 0, &ckpt, 0, 1e9, "N", "checkpoint period (default 200; 0: only at the end)"),
        ARG_LONG("keep", 0, &keep, 0, 1e6, "K", "checkpoint folders kept, newest first (default 2; 0: all)"),
        ARG_LONG("log-every", 0, &logp, 0, 1e9, "N", "metrics/plot refresh period (default 10)"),
        ARG_LONG("seed", 0, &seed, 0, 9e15, "N", "data order and initialisation seed (default 1)"),
        ARG_DOUBLE("init-std", 0, &std, 0, 10, "X", "standard deviation of the random init (default 0.02)"),
        ARG_LONG("threads", 0, &threads, 1, 1024, "N", "threads (default: all cores)"),
        ARG_STR("val", 0, &val, "FILE", "validation JSONL: val_loss every --eval-every steps"),
        ARG_LONG("eval-every", 0, &o.eval_every, 0, 1e9, "N", "validation period (default 0: after the last step only)"),
        ARG_LONG("val-samples", 0, &val_samples, 0, 1 << 30, "N", "validation samples in val_loss (default 256; 0: all)"),
        ARG_LONG("val-gen", 0, &val_gen, 0, 100000, "K",
                 "also generate (greedy) for the first K validation prompts,\nrun and score the answers: val_ir, val_iou_best (default 0)"),
        ARG_LONG("val-max-new", 0, &val_max_new, 1, 1 << 20, "N", "answer tokens at most in --val-gen (default 512)"),
        ARG_DOUBLE("max-minutes", 0, &max_min, 0, 1e7, "M", "stop after the step that reaches M minutes of training\n(validated and checkpointed; --resume continues)"),
        ARG_FLAG("unconditioned", 0, &uncond, "train on the answers alone, every prompt left empty"),
        ARG_FLAG("bf16", 0, &o.bf16, "bfloat16 matrix products, float32 weights and sums (needs AVX512_BF16)"),
        ARG_FLAG("recompute", 0, &recompute,
                 "recompute each layer's activations in the backward: about a third\nslower, a fraction of the memory; same results"),
        ARG_FLAG("resume", 0, &o.resume, "continue from DIR/latest if it exists"),
        ARG_FLAG("quiet", 0, &o.quiet, "no progress bar"),
        ARG_FLAG("json", 0, &json, "print a JSON summary on stdout"),
        ARG_END};
    const arg_spec spec = {
        "train", "(--config model.json | --init CHECKPOINT_DIR) --data train.jsonl --out DIR [options]",
        "\nSupervised fine-tuning (`recad train grpo --help`: reinforcement learning).\n"
        "Trains the Qwen2-style decoder on {\"prompt\": ..., \"answer\": ...} lines (loss on the answer\n"
        "and the closing <|endoftext|> only). Writes DIR/metrics.csv, DIR/loss.png, checkpoints\n"
        "DIR/step-N/ (model, config, optimiser state, tokenizer), DIR/latest and DIR/final/.\n"
        "With --val: val_loss (and with --val-gen the generation metrics, in DIR/val.png) in\n"
        "metrics.csv every --eval-every steps.\n"
        "Images (docs/vision_train.md): --images FILE mixes image samples (a picture in place of\n"
        "the prompt) into every batch, --image-share of the rows; the model needs a vision\n"
        "encoder: --init a joint model, or --vision FILE to add a new one to a text model.",
        opts, 0, 0, NULL, NULL};
    int rc = arg_parse(&spec, argc, argv, &first);
    if (rc != ARG_GO) return rc;
    o.steps = steps;
    o.batch = (int)batch;
    o.seq = (int)seq;
    o.lr = (float)lr;
    o.lr_min = (float)lr_min;
    o.warmup = warmup;
    o.weight_decay = (float)wd;
    o.clip = (float)clip;
    o.ckpt_every = ckpt;
    o.keep_ckpts = (int)keep;
    o.log_every = logp;
    o.seed = (uint64_t)seed;
    o.val_samples = (int)val_samples;
    o.max_seconds = max_min * 60;
    if (val_gen && !tokpath) return cli_error(CLI_USAGE, "train", "--val-gen needs --tokenizer");
    if (val_gen && !val) return cli_error(CLI_USAGE, "train", "--val-gen needs --val FILE");
    if (!data || !o.out_dir) return cli_error(CLI_USAGE, "train", "--data and --out are required");
    if (!config == !init) return cli_error(CLI_USAGE, "train", "give exactly one of --config and --init");
    if ((images || val_images || vision) && !tokpath)
        return cli_error(CLI_USAGE, "train", "--images, --val-images and --vision need --tokenizer");
    if (val_images && !images) return cli_error(CLI_USAGE, "train", "--val-images needs --images");
    tok_tokenizer *tok = NULL;
    if (tokpath && !(tok = tok_load(tokpath))) return cli_error(CLI_IO, "train", "%s", ut_error());
    int code;
    vl_model *vm = train_model(init, config, vision, tok, o.seed, (float)std, &code);
    if (!vm) {
        tok_free(tok);
        return cli_error(code, "train", "%s", ut_error());
    }
    nn_model *m = vm->dec;
    if (context) nn_set_context(m, (int)context); /* in range: the option's bounds are nn_set_context's */
    vl_set_threads(vm, (int)threads);
    nn_set_recompute(m, recompute);
    if (tok && tok_vocab_size(tok) > m->cfg.vocab_size) {
        rc = cli_error(CLI_INVALID, "train", "tokenizer %s has %d tokens but the model's vocab_size is %d", tokpath,
                       tok_vocab_size(tok), m->cfg.vocab_size);
        tok_free(tok);
        vl_free(vm);
        return rc;
    } else if (!tok && m->cfg.vocab_size < 257) {
        vl_free(vm);
        return cli_error(CLI_INVALID, "train", "byte-level training needs vocab_size >= 257 (or give --tokenizer)");
    }
    if (images && !vm->enc) {
        tok_free(tok);
        vl_free(vm);
        return cli_error(CLI_USAGE, "train", "--images needs a model with a vision encoder: add one with --vision FILE, or "
                                             "--init a model that has one");
    }
    if (vm->enc && tok && !tok_is_special(tok, vm->image_token_id)) {
        rc = cli_error(CLI_INVALID, "train", "the model's image_token_id %d is not a special token of %s", vm->image_token_id,
                       tokpath);
        tok_free(tok);
        vl_free(vm);
        return rc;
    }
    o.tok = tok;
    o.image_share = share;
    tr_data d, vd, id, vid;
    tr_data_init(&d);
    tr_data_init(&vd);
    tr_data_init(&id);
    tr_data_init(&vid);
    int ntok = vm->enc ? vm->enc->cfg.num_tokens : 0;
    eg_val *ev = NULL;
    rc = CLI_OK;
    if ((uncond ? tr_data_load_answers : tr_data_load_jsonl)(&d, data, tok)) {
        rc = cli_error(ut_is_dir(data) || access(data, R_OK) ? CLI_IO : CLI_INVALID, "train", "%s", ut_error());
    } else if (val && tr_data_load_jsonl(&vd, val, tok)) {
        rc = cli_error(ut_is_dir(val) || access(val, R_OK) ? CLI_IO : CLI_INVALID, "train", "%s", ut_error());
    } else if (images && tr_data_load_images(&id, images, tok, vm->image_token_id, ntok)) {
        rc = cli_error(ut_is_dir(images) || access(images, R_OK) ? CLI_IO : CLI_INVALID, "train", "%s", ut_error());
    } else if (val_images && tr_data_load_images(&vid, val_images, tok, vm->image_token_id, ntok)) {
        rc = cli_error(ut_is_dir(val_images) || access(val_images, R_OK) ? CLI_IO : CLI_INVALID, "train", "%s", ut_error());
    } else if (val_gen && !(ev = eg_val_new(val, (int)val_gen, tok, (int)val_max_new))) {
        rc = cli_error(CLI_INVALID, "train", "%s", ut_error());
    } else {
        if (val) o.val = &vd;
        if (images) o.images = &id;
        if (val_images) o.val_images = &vid;
        if (ev) o.hook = (tr_hook){eg_val_measure, ev, EG_VAL_NOUT, eg_val_names};
        tr_result res;
        if (tr_train_vl(vm, &d, &o, &res)) {
            rc = cli_error(CLI_INVALID, "train", "%s", ut_error());
        } else if (json) {
            cJSON *j = cJSON_CreateObject();
            cJSON_AddStringToObject(j, "out", o.out_dir);
            cJSON_AddNumberToObject(j, "samples", d.n);
            cJSON_AddNumberToObject(j, "params", (double)m->num_params);
            if (vm->enc) cJSON_AddNumberToObject(j, "vision_params", (double)vm->enc->num_params);
            if (images) cJSON_AddNumberToObject(j, "image_samples", id.n);
            cJSON_AddNumberToObject(j, "start_step", (double)res.start_step);
            cJSON_AddNumberToObject(j, "steps", (double)res.steps_done);
            cJSON_AddNumberToObject(j, "first_loss", res.first_loss);
            cJSON_AddNumberToObject(j, "last_loss", res.last_loss);
            cJSON_AddNumberToObject(j, "tokens_per_s", res.tokens_per_s);
            cli_print_json(j);
        } else {
            char imgs[64] = "";
            if (images) snprintf(imgs, sizeof imgs, " and %d image samples", id.n);
            printf("trained steps %ld..%ld on %d samples%s: loss %.4f -> %.4f, %.0f tokens/s; model in %s/final\n",
                   res.start_step + 1, res.steps_done, d.n, imgs, res.first_loss, res.last_loss, res.tokens_per_s, o.out_dir);
        }
        free(res.losses);
    }
    tr_data_free(&d);
    tr_data_free(&vd);
    tr_data_free(&id);
    tr_data_free(&vid);
    eg_val_free(ev);
    tok_free(tok);
    vl_free(vm);
    return rc;
}
