/* cmd_grpo.c - `recad train grpo`: reinforcement learning from an SFT checkpoint with rewards from
 * executing the generated programs (train/grpo.h, infer/cadreward.h). */
#include <cjson/cJSON.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/picture.h"
#include "base/util.h"
#include "cli/args.h"
#include "cli/cli.h"
#include "data/jsonl.h"
#include "eval/score.h"
#include "infer/cadreward.h"
#include "ml/nn.h"
#include "ml/sampler.h"
#include "ml/tokenizer.h"
#include "ml/vlm.h"
#include "model/level.h"
#include "train/grpo.h"

#define GRPO_CMD "train grpo"

typedef struct {
    gr_item *v;
    char **owned;  /* prompt/ref strings */
    char **image;  /* (n) picture paths (NULL: a text prompt) */
    float **rows;  /* (n) their encoder tokens */
    int n, cap, pictures;
} grpo_items;

static void grpo_items_free(grpo_items *it) {
    for (int i = 0; i < 2 * it->n; i++) free(it->owned[i]);
    for (int i = 0; i < it->n; i++) free(it->image[i]), free(it->rows[i]);
    free(it->owned);
    free(it->image);
    free(it->rows);
    free(it->v);
}

/* dataset records {prompt, answer[, level, curves, image]} of one split (NULL: every record); an
   image path is relative to the file's folder (recad data build --images) */
static int grpo_read(const char *path, const char *split, long limit, grpo_items *out) {
    jl_reader r;
    if (jl_open(&r, path, 0)) return -1;
    cJSON *rec;
    int rc;
    while ((rc = jl_next(&r, &rec)) == 1 && !(limit > 0 && out->n >= limit)) {
        const char *prompt, *answer, *level, *sp, *image;
        double curves;
        if (jl_str(&r, rec, "prompt", &prompt) || jl_str(&r, rec, "answer", &answer) ||
            jl_str_opt(&r, rec, "level", "", &level) || jl_num_opt(&r, rec, "curves", 0, &curves) ||
            jl_str_opt(&r, rec, "split", NULL, &sp) || jl_str_opt(&r, rec, "image", NULL, &image)) {
            rc = -1;
            break;
        }
        if (split && sp && strcmp(sp, split)) continue;
        if (out->n == out->cap) {
            out->cap = 2 * out->cap + 64;
            out->v = ut_realloc(out->v, sizeof *out->v * (size_t)out->cap);
            out->owned = ut_realloc(out->owned, sizeof(char *) * 2 * (size_t)out->cap);
            out->image = ut_realloc(out->image, sizeof(char *) * (size_t)out->cap);
            out->rows = ut_realloc(out->rows, sizeof(float *) * (size_t)out->cap);
        }
        out->image[out->n] = NULL, out->rows[out->n] = NULL;
        if (image) {
            out->image[out->n] = ut_path_beside(path, image);
            out->pictures++;
        }
        lv_level l;
        int lvl = *level && lv_parse(level, &l) == 0 && l != LV_NONE ? (int)l - (int)LV_L : -1;
        char *p = ut_strdup(prompt), *a = ut_strdup(answer);
        out->owned[2 * out->n] = p;
        out->owned[2 * out->n + 1] = a;
        out->v[out->n++] = (gr_item){p, a, lvl, (int)curves, NULL, 0};
    }
    jl_close(&r);
    if (rc < 0) return -1;
    if (!out->n) return ut_fail("%s: no records%s%s", path, split ? " of split " : "", split ? split : "");
    return 0;
}

/* the encoder's tokens of every picture prompt, framed as in training (the encoder is fixed) */
static int grpo_encode(vl_model *vm, grpo_items *it, int quiet) {
    int S = vm->enc->cfg.image_size, ntok = vm->enc->cfg.num_tokens;
    size_t D = (size_t)vm->dec->cfg.hidden_size;
    ut_progress pb;
    ut_progress_start(&pb, "pictures", it->pictures);
    if (quiet) pb.quiet = 1;
    int done = 0;
    for (int i = 0; i < it->n; i++) {
        if (!it->image[i]) continue;
        pic_gray p;
        if (pic_load_framed(it->image[i], S, &p)) return -1;
        const float *tok = vt_forward(vm->enc, p.v, 1); /* (ntok, D) */
        pic_free(&p);
        if (!tok) return -1;
        it->rows[i] = ut_malloc(sizeof(float) * (size_t)ntok * D);
        memcpy(it->rows[i], tok, sizeof(float) * (size_t)ntok * D);
        it->v[i].image = it->rows[i], it->v[i].nimage = ntok;
        ut_progress_update(&pb, ++done);
    }
    ut_progress_finish(&pb);
    return 0;
}

int cli_train_grpo(int argc, char **argv) {
    gr_options o = gr_defaults();
    cr_opts ro;
    cr_default_opts(&ro);
    const char *init = NULL, *data = NULL, *split = "train";
    long steps = o.steps, prompts = o.prompts, group = o.group, max_new = 0, epochs = o.epochs, hard_n = o.hard_samples;
    long ckpt = o.ckpt_every, keep = o.keep_ckpts, seed = (long)o.seed, threads = 0, warmup = -1, limit = 0, micro = o.micro_rows;
    double lr = o.lr, lr_min = o.lr_min, temp = o.temperature, top_p = o.top_p, clip = o.clip, wd = o.weight_decay;
    int no_std = 0, no_guid = 0, no_curr = 0, json = 0, bf16 = 0, first;
    const arg_opt opts[] = {
        ARG_STR("init", 0, &init, "DIR", "the SFT checkpoint to start from (config, weights, tokenizer.json; required)"),
        ARG_STR("data", 0, &data, "FILE", "dataset JSONL: prompt, answer (reference), level, curves, split (required)"),
        ARG_STR("split", 0, &split, "NAME", "records of this split only (default train; \"\" for all)"),
        ARG_LONG("limit", 0, &limit, 0, 1L << 30, "N", "the first N records only"),
        ARG_STR("out", 0, &o.out_dir, "DIR", "output folder (required)"),
        ARG_LONG("steps", 0, &steps, 1, 1e9, "N", "updates (default 200)"),
        ARG_LONG("prompts", 0, &prompts, 1, 1024, "P", "prompts per step (default 4)"),
        ARG_LONG("group", 'G', &group, 2, 256, "G", "rollouts per prompt (default 8)"),
        ARG_LONG("max-new", 0, &max_new, 0, 1 << 20, "N", "answer tokens at most (default: the model's context)"),
        ARG_DOUBLE("temperature", 0, &temp, 0, 10, "T", "rollout sampling temperature (default 1)"),
        ARG_DOUBLE_GT("top-p", 0, &top_p, 0, 1, "P", "nucleus sampling (default 1 = off)"),
        ARG_FLAG("bf16-sample", 0, &bf16, "sample rollouts in reduced precision (bfloat16 KV cache, and\nbfloat16 products with AVX512_BF16); the update stays float32"),
        ARG_DOUBLE("lr", 0, &lr, 0, 1, "X", "peak learning rate (default 1e-5)"),
        ARG_DOUBLE("lr-min", 0, &lr_min, 0, 1, "X", "final learning rate (default 1e-6)"),
        ARG_LONG("warmup", 0, &warmup, 0, 1e9, "N", "warmup steps (default steps/20)"),
        ARG_DOUBLE("weight-decay", 0, &wd, 0, 10, "X", "AdamW decay (default 0)"),
        ARG_DOUBLE("clip", 0, &clip, 0, 1e9, "X", "gradient-norm clip (default 1)"),
        ARG_DOUBLE("clip-eps", 0, &o.clip_eps, 0, 10, "E", "ratio clip of the objective (default 0.2)"),
        ARG_LONG("epochs", 0, &epochs, 1, 100, "N", "updates per batch of rollouts (default 1)"),
        ARG_FLAG("no-std", 0, &no_std, "advantages not divided by the group's std"),
        ARG_DOUBLE("kl", 0, &o.kl_beta, 0, 100, "BETA", "KL weight to the starting model, k3 (default 0 = off)"),
        ARG_FLAG("no-guidance", 0, &no_guid, "no off-policy reference for hard prompts"),
        ARG_DOUBLE("gamma", 0, &o.gamma, 1e-6, 100, "G", "policy shaping of the reference tokens (default 0.1)"),
        ARG_DOUBLE("hard-tau", 0, &o.hard_tau, 0, 10, "T", "hard below this best reward (default 0.8)"),
        ARG_LONG("hard-samples", 0, &hard_n, 1, 256, "N", "answers sampled per prompt to find hard ones (default 4)"),
        ARG_STR("hard-from", 0, &o.hard_from, "FILE", "reuse the hard-prompt flags of an earlier run (its hard.json)"),
        ARG_FLAG("no-curriculum", 0, &no_curr, "random prompt order instead of L -> F -> S -> SE -> MSE"),
        ARG_DOUBLE("replay", 0, &o.replay, 0, 1, "R", "share of earlier-level prompts in curriculum batches (default 0.25)"),
        ARG_DOUBLE("l1", 0, &ro.l1, 0, 100, "X", "reward weight of the geometry (default 0.9)"),
        ARG_DOUBLE("l2", 0, &ro.l2, 0, 100, "X", "reward weight of the format (default 0.1)"),
        ARG_DOUBLE("tau", 0, &ro.tau, 0, 1, "T", "visual-similarity threshold of the geometry term (default 0.55; 0: off)"),
        ARG_DOUBLE("size-weight", 0, &ro.size_weight, 0, 1, "W", "weight of the bounding-box size agreement (default 0)"),
        ARG_LONG("reward-budget", 0, &ro.max_geom_work, 0, SC_DEFAULT_GEOM_WORK, "N", "geometry budget of an answer, work units; an answer\nthat needs more is invalid (default 30000000; 0: the scoring default)"),
        ARG_LONG("micro", 0, &micro, 1, 1024, "N", "rows per forward/backward chunk (default 8)"),
        ARG_LONG("ckpt-every", 0, &ckpt, 0, 1e9, "N", "checkpoint period (default 50; 0: only at the end)"),
        ARG_LONG("keep", 0, &keep, 0, 1e6, "K", "checkpoints kept (default 2; 0: all)"),
        ARG_LONG("seed", 0, &seed, 0, 9e15, "N", "prompt order and sampling seed (default 1)"),
        ARG_LONG("threads", 0, &threads, 1, 1024, "N", "threads (default: all cores)"),
        ARG_FLAG("resume", 0, &o.resume, "continue from OUT/latest if it exists"),
        ARG_FLAG("quiet", 0, &o.quiet, "no progress bar"),
        ARG_FLAG("json", 0, &json, "print a JSON summary on stdout"),
        ARG_END};
    const arg_spec spec = {
        GRPO_CMD, "--init SFT_DIR --data data.jsonl --out DIR [options]",
        "\nGRPO: per step, P prompts x G rollouts sampled with the model, each executed in the\n"
        "sandbox and rewarded against the prompt's reference part (R = l1 * min(IoU_best,\n"
        "phi(visual, tau)) + l2 * format; invalid answers 0), group-relative advantages, the\n"
        "clipped objective, optional KL; hard prompts get their reference answer as an off-policy\n"
        "member; prompts in curriculum order. Writes OUT/metrics.csv, reward.png, time.png,\n"
        "hard.json, checkpoints and OUT/final/ (docs/grpo.md).",
        opts, 0, 0, NULL, NULL};
    int rc = arg_parse(&spec, argc, argv, &first);
    if (rc != ARG_GO) return rc;
    if (!init || !data || !o.out_dir) return cli_error(CLI_USAGE, GRPO_CMD, "--init, --data and --out are required");
    o.steps = steps, o.prompts = (int)prompts, o.group = (int)group, o.max_new = (int)max_new, o.epochs = (int)epochs;
    o.hard_samples = (int)hard_n, o.ckpt_every = ckpt, o.keep_ckpts = (int)keep, o.seed = (uint64_t)seed;
    o.warmup = warmup, o.micro_rows = (int)micro, o.lr = (float)lr, o.lr_min = (float)lr_min;
    o.temperature = (float)temp, o.top_p = (float)top_p, o.clip = (float)clip, o.weight_decay = (float)wd;
    o.std_norm = !no_std, o.guidance = !no_guid, o.curriculum = !no_curr, o.bf16_sample = bf16;
    if (bf16 && !o.quiet) fprintf(stderr, "recad train grpo: rollouts sampled with %s\n", smp_precision_desc(SMP_BF16));
    grpo_items items = {0};
    vl_model *vm = NULL;
    nn_model *m = NULL, *ref = NULL;
    tok_tokenizer *tok = NULL;
    cr_set *rs = NULL;
    char path[4200];
    rc = CLI_OK;
    if (grpo_read(data, *split ? split : NULL, limit, &items)) {
        rc = cli_error(access(data, R_OK) ? CLI_IO : CLI_INVALID, GRPO_CMD, "%s", ut_error());
        goto done;
    }
    snprintf(path, sizeof path, "%s/tokenizer.json", init);
    if (!(tok = tok_load(path)) || !(vm = vl_load(init))) {
        rc = cli_error(CLI_IO, GRPO_CMD, "%s", ut_error());
        goto done;
    }
    m = vm->dec;
    vl_set_threads(vm, (int)threads);
    if (items.pictures) {
        if (!vm->enc) {
            rc = cli_error(CLI_USAGE, GRPO_CMD, "%s has %d picture prompts; the model in %s has no vision encoder", data,
                           items.pictures, init);
            goto done;
        }
        if (ro.size_weight > 0) {
            rc = cli_error(CLI_USAGE, GRPO_CMD, "--size-weight: a picture carries no scale, and %s has picture prompts", data);
            goto done;
        }
        if (grpo_encode(vm, &items, o.quiet)) {
            rc = cli_error(CLI_INVALID, GRPO_CMD, "%s", ut_error());
            goto done;
        }
        o.image_token_id = vm->image_token_id;
    }
    if (o.kl_beta > 0) {
        if (!(ref = nn_load(init))) {
            rc = cli_error(CLI_IO, GRPO_CMD, "%s", ut_error());
            goto done;
        }
        nn_set_threads(ref, (int)threads);
        o.ref_model = ref;
    }
    const char **refs = ut_malloc(sizeof(char *) * (size_t)items.n);
    for (int i = 0; i < items.n; i++) refs[i] = items.v[i].ref;
    rs = cr_new(refs, items.n, &ro);
    free(refs);
    if (!rs) {
        rc = cli_error(CLI_INVALID, GRPO_CMD, "%s", ut_error());
        goto done;
    }
    o.reward = (rw_reward){cr_fn, rs};
    o.tok = tok;
    gr_result res;
    if (gr_train(m, items.v, items.n, &o, &res)) {
        rc = cli_error(CLI_INVALID, GRPO_CMD, "%s", ut_error());
        goto done;
    }
    if (vm->enc && res.steps_done == o.steps) { /* the final model with its (unchanged) encoder */
        snprintf(path, sizeof path, "%s/final", o.out_dir);
        if (vl_save(vm, path)) {
            rc = cli_error(CLI_IO, GRPO_CMD, "%s", ut_error());
            goto done;
        }
    }
    long scored, stopped;
    cr_counts(rs, &scored, &stopped);
    if (json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "out", o.out_dir);
        cJSON_AddNumberToObject(j, "prompts", items.n);
        cJSON_AddNumberToObject(j, "hard", res.hard);
        cJSON_AddNumberToObject(j, "start_step", (double)res.start_step);
        cJSON_AddNumberToObject(j, "steps", (double)res.steps_done);
        cJSON_AddNumberToObject(j, "reward_mean", isfinite(res.last.reward_mean) ? res.last.reward_mean : 0);
        cJSON_AddNumberToObject(j, "ir", isfinite(res.last.ir) ? res.last.ir : 0);
        cJSON_AddNumberToObject(j, "answers_scored", (double)scored);
        cJSON_AddNumberToObject(j, "answers_over_budget", (double)stopped);
        cli_print_json(j);
    } else {
        printf("GRPO steps %ld..%ld on %d prompts (%d hard): last reward %.4f, IR %.1f%%; model in %s/final\n",
               res.start_step + 1, res.steps_done, items.n, res.hard, res.last.reward_mean, res.last.ir, o.out_dir);
        printf("answers scored: %ld; stopped by their geometry budget: %ld (%.2f%%)\n", scored, stopped,
               scored ? 100.0 * (double)stopped / (double)scored : 0.0);
    }
done:
    cr_free(rs);
    nn_free(ref);
    vl_free(vm);
    tok_free(tok);
    grpo_items_free(&items);
    return rc;
}
