/* test_grpo.c - GRPO: advantages and per-token weights against hand-computed values and finite
 * differences, the curriculum order, guidance only for hard prompts, a few steps and a resume
 * through `recad train grpo` on a tiny model. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "eval/score.h"
#include "infer/cadreward.h"
#include "ml/nn.h"
#include "ml/tokenizer.h"
#include "tf.h"
#include "train/grpo.h"

TEST(grpo_advantages_and_weights_by_hand) {
    double r[4] = {1, 0, 0.5, 0.5}, a[4];
    REQUIRE(gr_advantages(r, 4, 1, a) == 1);
    /* mean 0.5, population std sqrt(0.125) */
    CHECK_NEAR(a[0], 0.5 / sqrt(0.125), 1e-12);
    CHECK_NEAR(a[1], -0.5 / sqrt(0.125), 1e-12);
    CHECK(a[2] == 0 && a[3] == 0);
    REQUIRE(gr_advantages(r, 4, 0, a) == 1);
    CHECK_NEAR(a[0], 0.5, 1e-15);
    CHECK_NEAR(a[1], -0.5, 1e-15);
    double same[3] = {0.7, 0.7, 0.7};
    CHECK(gr_advantages(same, 3, 1, a) == 0); /* zero variance: skipped */
    /* clipped objective: zero weight on the clipped side, A * ratio elsewhere */
    CHECK(gr_weight_on(1, 1.3, 0.2) == 0);
    CHECK_NEAR(gr_weight_on(1, 1.1, 0.2), 1.1, 1e-15);
    CHECK(gr_weight_on(-1, 0.7, 0.2) == 0);
    CHECK_NEAR(gr_weight_on(-1, 1.3, 0.2), -1.3, 1e-15);
    CHECK_NEAR(gr_weight_on(2, 1.0, 0.2), 2.0, 1e-15);
    /* policy shaping: pi = 0.5, gamma = 0.1: 0.1 * 0.5 / 0.6^2 */
    CHECK_NEAR(gr_weight_off(1, log(0.5), 0.1), 0.05 / 0.36, 1e-12);
    /* k3 at pi = 0.5, pi_ref = 0.25: q = ln 0.5 */
    CHECK_NEAR(gr_k3(log(0.5), log(0.25)), 0.5 - log(0.5) - 1, 1e-12);
    CHECK_NEAR(gr_weight_kl(log(0.5), log(0.25), 0.1), 0.1 * (0.5 - 1), 1e-12);
    /* the weights are the gradients they stand for (a weight w on -log pi means dJ/dlog pi = w):
     * finite differences of A * f(pi) and of -beta * k3 in log pi */
    for (double lp = -4; lp < 0; lp += 0.37) {
        double h = 1e-6, A = -0.8, g = 0.1, beta = 0.3, lr = -1.2;
        double f1 = A * exp(lp + h) / (exp(lp + h) + g), f0 = A * exp(lp - h) / (exp(lp - h) + g);
        CHECK_NEAR(gr_weight_off(A, lp, g), (f1 - f0) / (2 * h), 1e-6);
        double k1 = -beta * gr_k3(lp + h, lr), k0 = -beta * gr_k3(lp - h, lr);
        CHECK_NEAR(gr_weight_kl(lp, lr, beta), (k1 - k0) / (2 * h), 1e-6);
    }
}

TEST(grpo_curriculum_orders_by_level_then_curves) {
    gr_item it[6] = {{"a", "", 3, 10, NULL, 0}, {"b", "", 0, 5, NULL, 0}, {"c", "", -1, 1, NULL, 0},
                     {"d", "", 0, 2, NULL, 0}, {"e", "", 4, 1, NULL, 0}, {"f", "", 3, 4, NULL, 0}};
    int order[6];
    gr_curriculum_order(it, 6, order);
    int expect[6] = {3, 1, 5, 0, 4, 2}; /* L(2), L(5), SE(4), SE(10), MSE, unknown */
    for (int i = 0; i < 6; i++) CHECK_MSG(order[i] == expect[i], "position %d: %d", i, order[i]);
}

TEST(grpo_reward_terms) {
    CHECK(cr_phi(0.5, 0.55) == 0 && cr_phi(1, 0.55) == 1 && fabs(cr_phi(0.775, 0.55) - 0.5) < 1e-12);
    CHECK(cr_format("<think>\nplan\n</think>\nExtrude()") == 1);
    CHECK(cr_format("Extrude()") == 0 && cr_format("<think></think>x") == 0 && cr_format("<think>p</think>  ") == 0);
    double a[3] = {10, 20, 5}, b[3] = {20, 5, 10}, c[3] = {20, 40, 10};
    CHECK_NEAR(cr_size_agreement(a, b), 1, 1e-15);   /* the same sizes in another order */
    CHECK_NEAR(cr_size_agreement(a, c), 0.125, 1e-15);
}

TEST(grpo_reward_repeated_programs_scored_alike) {
    const char *prog = "local w, d, t = 30, 20, 4\n"
                       "Extrude(Sketch(XY, Face(Loop(Line(0,0, w,0), Line(w,0, w,d), Line(w,d, 0,d), Line(0,d, 0,0)))), t, \"new\")\n";
    char ref[512], same[512], other_plan[512];
    snprintf(ref, sizeof ref, "<think>\nplate\n</think>\n%s", prog);
    snprintf(same, sizeof same, "%s", ref);
    snprintf(other_plan, sizeof other_plan, "<think>\na flat plate\n</think>\n%s", prog);
    const char *refs[] = {ref};
    cr_opts o;
    cr_default_opts(&o);
    cr_set *s = cr_new(refs, 1, &o);
    REQUIRE_MSG(s, "%s", ut_error());
    const char *texts[] = {ref, "Extrude(Sketch(XY, Face(Loop(Circle(0, 0, 12)))), 30, \"new\")", same, prog, other_plan,
                           "Extrude(", "Extrude(Sketch(XY, Face(Loop(Circle(0, 0, 12)))), 30, \"new\")"};
    int n = (int)(sizeof texts / sizeof *texts);
    rw_score batch[8], one;
    REQUIRE(cr_fn(s, 0, texts, n, batch) == 0);
    for (int i = 0; i < n; i++) { /* the same as scoring each alone */
        REQUIRE(cr_fn(s, 0, &texts[i], 1, &one) == 0);
        CHECK_MSG(batch[i].reward == one.reward && batch[i].valid == one.valid, "%d: %g %g", i, batch[i].reward, one.reward);
    }
    CHECK_NEAR(batch[0].reward, 1, 1e-9);                 /* the reference itself */
    CHECK(batch[2].reward == batch[0].reward);             /* repeated */
    CHECK_NEAR(batch[3].reward, 0.9, 1e-9);               /* the same program without a plan: no format credit */
    CHECK(batch[4].reward == batch[0].reward);             /* another plan, same program */
    CHECK(batch[5].valid == 0 && batch[5].reward == 0);    /* does not run */
    CHECK(batch[1].valid && batch[6].reward == batch[1].reward && batch[1].reward < 0.9);
    cr_free(s);
}

/* a plate with a grid of k x k holes, in braces: program text */
static void grpo_holes(char *buf, size_t size, int k) {
    snprintf(buf, size,
             "local holes = {}\n"
             "for i = 0, %d do for j = 0, %d do holes[#holes + 1] = Loop(Circle(3 + 4 * i, 3 + 4 * j, 1)) end end\n"
             "Extrude(Sketch(XY, Face(Loop(Line(0,0, %d,0), Line(%d,0, %d,%d), Line(%d,%d, 0,%d), Line(0,%d, 0,0)), "
             "table.unpack(holes))), 4, \"new\")\n",
             k - 1, k - 1, 4 * k + 2, 4 * k + 2, 4 * k + 2, 4 * k + 2, 4 * k + 2, 4 * k + 2, 4 * k + 2, 4 * k + 2);
}

TEST(grpo_reward_budget_stops_runaway_answers) {
    char ref[1024], big[1024];
    grpo_holes(ref, sizeof ref, 2);  /* 4 holes */
    grpo_holes(big, sizeof big, 12); /* 144 holes: far more geometry than the reference */
    /* what each costs to score with the reward's metrics and the scoring default budget */
    sc_opts so;
    sc_default_opts(&so);
    so.metrics = SC_BEST_EXACT | SC_VISUAL;
    sc_target *t = sc_target_text(ref, "reference", &so, NULL);
    REQUIRE(t);
    sc_result rr, rb;
    sc_score_text(t, ref, "reference", NULL, &rr);
    sc_score_text(t, big, "big", NULL, &rb);
    sc_target_free(t);
    REQUIRE(rr.valid && rb.valid);
    CHECK_MSG(rr.work > 0 && rb.work > 4 * rr.work, "work: reference %ld, big %ld", rr.work, rb.work);
    const char *refs[] = {ref}, *texts[] = {ref, big};
    cr_opts o;
    cr_default_opts(&o);
    CHECK(o.max_geom_work == 30000000);
    o.max_geom_work = 2 * rr.work; /* between the two */
    cr_set *s = cr_new(refs, 1, &o);
    REQUIRE_MSG(s, "%s", ut_error());
    rw_score out[2];
    REQUIRE(cr_fn(s, 0, texts, 2, out) == 0);
    CHECK(out[0].valid && out[0].reward > 0.89); /* the reference itself fits (no plan: 0.9) */
    CHECK(!out[1].valid && out[1].reward == 0);  /* the runaway answer does not */
    long scored, stopped;
    cr_counts(s, &scored, &stopped);
    CHECK_MSG(scored == 2 && stopped == 1, "%ld scored, %ld stopped", scored, stopped);
    cr_free(s);
    o.max_geom_work = 0; /* the scoring default for every answer */
    REQUIRE((s = cr_new(refs, 1, &o)));
    REQUIRE(cr_fn(s, 0, texts, 2, out) == 0);
    CHECK(out[0].valid && out[1].valid && out[1].reward < out[0].reward);
    cr_counts(s, &scored, &stopped);
    CHECK(scored == 2 && stopped == 0);
    cr_free(s);
}

static const char *grpo_plate =
    "<think>\\nplate\\n</think>\\nlocal w, d, t = 30, 20, 4\\n"
    "Extrude(Sketch(XY, Face(Loop(Line(0,0, w,0), Line(w,0, w,d), Line(w,d, 0,d), Line(0,d, 0,0)))), t, \\\"new\\\")\\n";
static const char *grpo_disc = "<think>\\ndisc\\n</think>\\nExtrude(Sketch(XY, Face(Loop(Circle(0, 0, 12)))), 30, \\\"new\\\")\\n";

TEST(grpo_guidance_only_for_hard_prompts_steps_and_resume) {
    const char *d = tf_tmpdir();
    char path[512], cmd[4096], *out = NULL;
    /* SFT on the plate prompt only */
    snprintf(path, sizeof path, "%s/sft.jsonl", d);
    FILE *f = fopen(path, "w");
    for (int i = 0; i < 4; i++) fprintf(f, "{\"prompt\": \"a plate\", \"answer\": \"%s\"}\n", grpo_plate);
    fclose(f);
    snprintf(path, sizeof path, "%s/rl.jsonl", d);
    f = fopen(path, "w");
    fprintf(f, "{\"prompt\": \"a plate\", \"answer\": \"%s\", \"level\": \"L\", \"curves\": 4, \"split\": \"train\"}\n", grpo_plate);
    fprintf(f, "{\"prompt\": \"a disc\", \"answer\": \"%s\", \"level\": \"L\", \"curves\": 1, \"split\": \"train\"}\n", grpo_disc);
    fprintf(f, "{\"prompt\": \"held out\", \"answer\": \"%s\", \"level\": \"L\", \"curves\": 1, \"split\": \"test\"}\n", grpo_disc);
    fclose(f);
    snprintf(path, sizeof path, "%s/cfg.json", d);
    const char *c = "{\"vocab_size\":320,\"hidden_size\":32,\"intermediate_size\":64,\"num_hidden_layers\":1,"
                    "\"num_attention_heads\":2,\"max_position_embeddings\":160}";
    ut_write_atomic(path, c, strlen(c));
    snprintf(cmd, sizeof cmd,
             "build/recad tokenizer train --vocab 320 --out %s/tok.json %s/rl.jsonl && build/recad train --config %s/cfg.json "
             "--tokenizer %s/tok.json --data %s/sft.jsonl --out %s/sft --steps 100 --batch 4 --seq 160 --lr 1e-2 --warmup 5 "
             "--threads 1 --quiet",
             d, d, d, d, d, d);
    REQUIRE_MSG(tf_run_cmd(cmd, &out) == 0, "%s", out);
    free(out);
    /* two steps, both prompts each step; the disc prompt is hard, the plate prompt is not */
#define GRPO_CMD_FMT "build/recad train grpo --init %s/sft/final --data %s/rl.jsonl --out %s/rl --prompts 2 -G 4 " \
                     "--hard-samples 2 --max-new 120 --lr 1e-3 --threads 1 --quiet --json --steps %d %s"
    snprintf(cmd, sizeof cmd, GRPO_CMD_FMT, d, d, d, 2, "");
    REQUIRE_MSG(tf_run_cmd(cmd, &out) == 0, "%s", out);
    CHECK_MSG(strstr(out, "\"prompts\":2,\"hard\":1,"), "%s", out); /* the test split is left out */
    free(out);
    snprintf(path, sizeof path, "%s/rl/hard.json", d);
    char *h = ut_read_file(path, NULL);
    CHECK_MSG(h && strstr(h, "\"hard\":[0,1]"), "%s", h ? h : "");
    free(h);
    snprintf(path, sizeof path, "%s/rl/metrics.csv", d);
    char *csv = ut_read_file(path, NULL);
    REQUIRE(csv);
    /* step 1: hard share 0.5 (one of the two prompts) */
    const char *r1 = strstr(csv, "\n1,");
    REQUIRE(r1);
    double v[6];
    CHECK(sscanf(r1 + 3, "%lf,%lf,%lf,%lf,%lf", &v[0], &v[1], &v[2], &v[3], &v[4]) == 5 && v[4] == 0.5);
    free(csv);
    /* resume to three steps */
    snprintf(cmd, sizeof cmd, GRPO_CMD_FMT, d, d, d, 3, "--resume");
    REQUIRE_MSG(tf_run_cmd(cmd, &out) == 0, "%s", out);
    CHECK_MSG(strstr(out, "\"start_step\":2,\"steps\":3"), "%s", out);
    free(out);
    snprintf(path, sizeof path, "%s/rl/final/model.safetensors", d);
    CHECK(access(path, R_OK) == 0);
    /* an ablation run reuses the flags instead of sampling again; another threshold is refused */
#define GRPO_REUSE_FMT "build/recad train grpo --init %s/sft/final --data %s/rl.jsonl --out %s/%s --prompts 2 -G 4 " \
                       "--max-new 120 --threads 1 --quiet --json --steps 1 --hard-from %s/rl/hard.json %s"
    snprintf(cmd, sizeof cmd, GRPO_REUSE_FMT, d, d, d, "rl2", d, "");
    REQUIRE_MSG(tf_run_cmd(cmd, &out) == 0, "%s", out);
    CHECK_MSG(strstr(out, "\"prompts\":2,\"hard\":1,"), "%s", out);
    free(out);
    snprintf(path, sizeof path, "%s/rl2/hard.json", d);
    h = ut_read_file(path, NULL);
    CHECK_MSG(h && strstr(h, "\"hard\":[0,1]"), "%s", h ? h : "");
    free(h);
    /* rollouts and the hard-prompt pass sampled in reduced precision find the same hard prompt */
    snprintf(cmd, sizeof cmd,
             "build/recad train grpo --init %s/sft/final --data %s/rl.jsonl --out %s/rl4 --prompts 2 -G 4 --hard-samples 2 "
             "--max-new 120 --threads 1 --quiet --json --steps 1 --bf16-sample",
             d, d, d);
    REQUIRE_MSG(tf_run_cmd(cmd, &out) == 0, "%s", out);
    CHECK_MSG(strstr(out, "\"prompts\":2,\"hard\":1,"), "%s", out);
    free(out);
    snprintf(cmd, sizeof cmd, GRPO_REUSE_FMT, d, d, d, "rl3", d, "--hard-tau 0.5");
    CHECK(tf_run_cmd(cmd, &out) != 0 && strstr(out, "threshold"));
    free(out);
    /* usage errors */
    snprintf(cmd, sizeof cmd, "build/recad train grpo --init %s/sft/final --out %s/x", d, d);
    CHECK(tf_run_cmd(cmd, &out) == 2 && strstr(out, "--data"));
    free(out);
}
