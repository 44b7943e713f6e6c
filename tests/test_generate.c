/* test_generate.c - text to CAD end to end: a tiny model trained, resumed and sampled through
 * the same commands a user runs (tokenizer train, train, train --resume, generate). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "geom/mesh.h"
#include "infer/generate.h"
#include "tf.h"

static const char *gen_answer =
    "<think>\\nplate 30x20x4\\n</think>\\nlocal w, d, t = 30, 20, 4\\n"
    "Extrude(Sketch(XY, Face(Loop(Line(0,0, w,0), Line(w,0, w,d), Line(w,d, 0,d), Line(0,d, 0,0)))), t, \\\"new\\\")\\n";

/* a folder with data.jsonl (one prompt, one answer, repeated), corpus.txt, cfg.json */
static const char *gen_setup(void) {
    const char *dir = tf_tmpdir();
    char path[512], line[1024];
    snprintf(path, sizeof path, "%s/data.jsonl", dir);
    FILE *f = fopen(path, "w");
    for (int i = 0; i < 8; i++) fprintf(f, "{\"prompt\": \"a plate 30 by 20, 4 thick\", \"answer\": \"%s\"}\n", gen_answer);
    fclose(f);
    snprintf(path, sizeof path, "%s/corpus.txt", dir);
    snprintf(line, sizeof line, "a plate 30 by 20, 4 thick\n%s", gen_answer);
    ut_write_atomic(path, line, strlen(line));
    snprintf(path, sizeof path, "%s/cfg.json", dir);
    const char *c = "{\"vocab_size\":320,\"hidden_size\":32,\"intermediate_size\":64,\"num_hidden_layers\":1,"
                    "\"num_attention_heads\":2,\"max_position_embeddings\":160}";
    ut_write_atomic(path, c, strlen(c));
    return dir;
}

TEST(generate_trains_resumes_and_writes_a_valid_part) {
    const char *d = gen_setup();
    char cmd[4096], path[600], *out = NULL;
    snprintf(cmd, sizeof cmd, "build/recad tokenizer train --vocab 320 --out %s/tok.json %s/corpus.txt", d, d);
    REQUIRE_MSG(tf_run_cmd(cmd, &out) == 0, "%s", out);
    free(out);
    /* 100 steps, interrupted at 50 and resumed: the same code path as a real run */
#define GEN_TRAIN "build/recad train --config %s/cfg.json --tokenizer %s/tok.json --data %s/data.jsonl --out %s/run " \
                  "--steps 100 --batch 4 --seq 160 --lr 1e-2 --warmup 5 --ckpt-every 50 --threads 1 --quiet " \
                  "--val %s/data.jsonl --val-gen 1 --val-samples 2 --eval-every 50 %s"
    snprintf(cmd, sizeof cmd, GEN_TRAIN, d, d, d, d, d, "--json");
    REQUIRE_MSG(tf_run_cmd(cmd, &out) == 0, "%s", out);
    free(out);
    snprintf(path, sizeof path, "%s/run/step-00000050", d);
    snprintf(cmd, sizeof cmd, "rm -rf %s/run/final && echo step-00000050 > %s/run/latest", d, d);
    REQUIRE(system(cmd) == 0);
    snprintf(cmd, sizeof cmd, GEN_TRAIN, d, d, d, d, d, "--resume --json");
    REQUIRE_MSG(tf_run_cmd(cmd, &out) == 0, "%s", out);
    CHECK_MSG(strstr(out, "\"start_step\":50"), "%s", out);
    free(out);
    /* validation rows: loss and generation metrics at steps 50 and 100, the plot */
    snprintf(path, sizeof path, "%s/run/metrics.csv", d);
    char *csv = ut_read_file(path, NULL);
    REQUIRE(csv);
    const char *head = "step,loss,lr,grad_norm,tokens_per_s,val_loss,val_ir,val_iou_best\n";
    CHECK_MSG(!strncmp(csv, head, strlen(head)), "%s", csv);
    const char *r50 = strstr(csv, "\n50,"), *r100 = strstr(csv, "\n100,");
    REQUIRE(r50 && r100 && strstr(csv, "\n49,"));
    int commas = 0;
    for (const char *c = r100 + 1; *c && *c != '\n'; c++) commas += *c == ',';
    CHECK(commas == 7 && !strstr(r100, "nan"));        /* the last row has every value */
    CHECK(strstr(strstr(csv, "\n49,"), ",nan,nan,nan")); /* the other rows have none */
    free(csv);
    snprintf(path, sizeof path, "%s/run/val.png", d);
    CHECK(access(path, R_OK) == 0);
    /* generate: greedy, one candidate, the memorised part */
    snprintf(cmd, sizeof cmd, "build/recad generate -m %s/run/final --text 'a plate 30 by 20, 4 thick' -n 2 --temperature 0 -o %s/p",
             d, d);
    REQUIRE_MSG(tf_run_cmd(cmd, &out) == 0, "%s", out);
    CHECK_MSG(strstr(out, "level L, 30 x 20 x 4 mm, volume 2400 mm^3"), "%s", out);
    free(out);
    snprintf(path, sizeof path, "%s/p.lua", d);
    char *prog = ut_read_file(path, NULL);
    CHECK(prog && strstr(prog, "local w, d, t = 30, 20, 4") && !strstr(prog, "<think>"));
    free(prog);
    snprintf(path, sizeof path, "%s/p.png", d);
    CHECK(access(path, R_OK) == 0);
    snprintf(cmd, sizeof cmd, "build/recad info --json %s/p.lua", d);
    REQUIRE(tf_run_cmd(cmd, &out) == 0);
    CHECK(strstr(out, "2400"));
    free(out);
    /* the library call: the candidates and the pick */
    snprintf(path, sizeof path, "%s/run/final", d);
    inf_model *g = inf_load(path);
    REQUIRE_MSG(g, "%s", ut_error());
    inf_opts o;
    inf_default_opts(&o);
    o.n = 4;
    o.temperature = 0.3f;
    inf_result r;
    REQUIRE(inf_generate(g, "a plate 30 by 20, 4 thick", &o, &r) == 0);
    CHECK_MSG(r.n == 4 && r.nvalid >= 1 && r.best >= 0 && r.cand[r.best].valid, "%d valid; %s", r.nvalid,
              r.cand[0].error ? r.cand[0].error : "");
    for (int i = 0; i < r.n; i++) CHECK(r.cand[i].valid == (r.cand[i].error == NULL) && r.cand[i].repaired == 0);
    CHECK(r.repair_rounds == 0); /* a valid candidate: no repair */
    inf_result_free(&r);
    /* repair: a geometry budget too small for any part makes every candidate fail; each round cuts
       them back (here to the program's start at the latest), keeps the plan and samples the rest */
    o.lim.geometry.max_work = 1;
    REQUIRE(inf_generate(g, "a plate 30 by 20, 4 thick", &o, &r) == 0);
    CHECK_MSG(r.nvalid == 0 && r.best < 0 && r.repair_rounds == 2, "%d valid, %d rounds", r.nvalid, r.repair_rounds);
    for (int i = 0; i < r.n; i++) {
        CHECK_MSG(r.cand[i].repaired == 2 && r.cand[i].error && strstr(r.cand[i].error, "geometry budget"), "%d: %d %s", i,
                  r.cand[i].repaired, r.cand[i].error ? r.cand[i].error : "");
        CHECK_MSG(!strncmp(r.cand[i].answer, "<think>\nplate 30x20x4\n</think>\n", 31), "%s", r.cand[i].answer);
        CHECK(r.cand[i].ntokens > 0 && r.cand[i].logprob <= 0);
    }
    inf_result_free(&r);
    o.repair = 0;
    REQUIRE(inf_generate(g, "a plate 30 by 20, 4 thick", &o, &r) == 0);
    CHECK(r.nvalid == 0 && r.repair_rounds == 0 && r.cand[0].repaired == 0);
    inf_result_free(&r);
    inf_free(g);
    /* the web page's prompt box: recad serve with the model answers /api/generate with the program */
    snprintf(cmd, sizeof cmd,
             "build/recad serve --port 0 -q -m %s/run/final > %s/serve.out 2>&1 & pid=$!; "
             "for i in $(seq 50); do grep -q http %s/serve.out && break; sleep 0.1; done; "
             "port=$(grep -o ':[0-9]*/' %s/serve.out | tr -d ':/'); "
             "/usr/bin/python3 -c \"import urllib.request as u,sys; r=u.urlopen(u.Request('http://127.0.0.1:'+sys.argv[1]+"
             "'/api/generate', data=b'{\\\"prompt\\\": \\\"a plate 30 by 20, 4 thick\\\"}', method='POST')); "
             "print(r.status, r.read().decode())\" $port; rc=$?; kill $pid; exit $rc",
             d, d, d, d);
    REQUIRE_MSG(tf_run_cmd(cmd, &out) == 0, "%s", out);
    CHECK_MSG(strstr(out, "200 {\"program\":\"local w, d, t = 30, 20, 4"), "%s", out);
    free(out);
    /* ... and the page's prompt box in headless Chromium, where it can run */
    snprintf(cmd, sizeof cmd,
             "if [ -x /usr/bin/chromium ] && [ -d web/node_modules ] && "
             "node -e 'process.exit(+process.versions.node.split(\".\")[0] >= 20 ? 0 : 1)' 2>/dev/null; then "
             "build/recad serve --port 0 -q -m %s/run/final > %s/serve2.out 2>&1 & pid=$!; "
             "for i in $(seq 50); do grep -q http %s/serve2.out && break; sleep 0.1; done; "
             "url=$(grep -o 'http://[0-9.:]*/' %s/serve2.out); "
             "node web/test/e2e.mjs --url $url --generate 'a plate 30 by 20, 4 thick' --expect 'local w, d, t = 30, 20, 4'; "
             "rc=$?; kill $pid; exit $rc; else echo 'e2e: not run (no chromium, node 20 or web/node_modules)'; fi",
             d, d, d, d);
    int erc = tf_run_cmd(cmd, &out);
    CHECK_MSG(erc == 0 && ((strstr(out, "ok   generate from a prompt") && strstr(out, " 0 failed")) || strstr(out, "e2e: not run")), "%s", out);
    free(out);
    /* text-to-CAD evaluation against the retrieval baseline: both find the memorised plate */
    snprintf(path, sizeof path, "%s/test.jsonl", d);
    FILE *f = fopen(path, "w");
    REQUIRE(f);
    fprintf(f, "{\"id\":\"a\",\"kind\":\"detailed\",\"prompt\":\"a plate 30 by 20, 4 thick\",\"answer\":\"%s\"}\n", gen_answer);
    fclose(f);
    snprintf(cmd, sizeof cmd,
             "build/recad eval --model %s/run/final --test %s/test.jsonl --train %s/data.jsonl -n 2 --temperature 0 --no-visual "
             "--quiet --json -o %s/ev",
             d, d, d, d);
    REQUIRE_MSG(tf_run_cmd(cmd, &out) == 0, "%s", out);
    CHECK_MSG(strstr(out, "\"ours\":{\"items\":1,\"ir\":0,") && strstr(out, "\"iou_best_median\":1"), "%s", out);
    free(out);
    snprintf(path, sizeof path, "%s/ev/report.md", d);
    char *md = ut_read_file(path, NULL);
    CHECK(md && strstr(md, "| detailed |") && strstr(md, "| retrieval | 1 | 0.00 |") && strstr(md, "examples/000_ours.png"));
    free(md);
}

TEST(generate_repair_cuts_at_the_line_the_error_names) {
    const char *a = "<think>\nplan\n</think>\nlocal w = 3\nlocal h = 4\nExtrude(x)\n";
    size_t prog = strlen("<think>\nplan\n</think>\n");
    CHECK(inf_repair_cut(a, "program:1: boom") == prog);
    CHECK(inf_repair_cut(a, "program:2: attempt to perform arithmetic on a nil value") == prog + strlen("local w = 3\n"));
    CHECK(inf_repair_cut(a, "program:3: Extrude: argument 1") == prog + strlen("local w = 3\nlocal h = 4\n"));
    CHECK(inf_repair_cut(a, "program:9: past the end") == prog);              /* no such line */
    CHECK(inf_repair_cut(a, "the answer did not end within the model's context") == prog); /* no line */
    CHECK(inf_repair_cut(a, NULL) == prog);
    CHECK(inf_repair_cut("Extrude(x)\nmore\n", "program:2: x") == strlen("Extrude(x)\n")); /* no plan */
}

TEST(generate_says_when_no_candidate_is_valid) {
    const char *d = gen_setup();
    char cmd[4096], *out = NULL;
    snprintf(cmd, sizeof cmd, "build/recad tokenizer train --vocab 320 --out %s/tok.json %s/corpus.txt", d, d);
    REQUIRE(tf_run_cmd(cmd, &out) == 0);
    free(out);
    /* two steps: the model writes noise */
    snprintf(cmd, sizeof cmd,
             "build/recad train --config %s/cfg.json --tokenizer %s/tok.json --data %s/data.jsonl --out %s/run --steps 2 "
             "--batch 2 --seq 160 --threads 1 --quiet",
             d, d, d, d);
    REQUIRE(tf_run_cmd(cmd, &out) == 0);
    free(out);
    snprintf(cmd, sizeof cmd, "build/recad generate -m %s/run/final --text 'a plate' -n 3 --max-new 40 -o %s/p", d, d);
    CHECK(tf_run_cmd(cmd, &out) == 1);
    /* none of the 3 was valid: 3 fresh ones were drawn (--retry 1), then repaired */
    CHECK_MSG(strstr(out, "no valid part among 6 candidates") && strstr(out, "errors seen:\n  "), "%s", out);
    free(out);
    snprintf(cmd, sizeof cmd, "build/recad generate -m %s/run/final --text 'a plate' -n 3 --max-new 40 --retry 0 -o %s/p", d, d);
    CHECK(tf_run_cmd(cmd, &out) == 1);
    CHECK_MSG(strstr(out, "no valid part among 3 candidates"), "%s", out);
    free(out);
    char path[600];
    snprintf(path, sizeof path, "%s/p.lua", d);
    CHECK(access(path, R_OK) != 0); /* nothing written */
    /* the same in reduced precision, which says what it uses */
    snprintf(cmd, sizeof cmd, "build/recad generate -m %s/run/final --text 'a plate' -n 3 --max-new 40 --bf16 -o %s/p", d, d);
    CHECK(tf_run_cmd(cmd, &out) == 1);
    CHECK_MSG(strstr(out, "sampling with bfloat16 KV cache") && strstr(out, "no valid part among 6 candidates"), "%s", out);
    free(out);
    /* usage and file errors */
    snprintf(cmd, sizeof cmd, "build/recad generate -m %s/run/final", d);
    CHECK(tf_run_cmd(cmd, &out) == 2 && strstr(out, "--text"));
    free(out);
    snprintf(cmd, sizeof cmd, "build/recad generate -m %s/nowhere --text x", d);
    CHECK(tf_run_cmd(cmd, &out) == 3 && strstr(out, "cannot load the model"));
    free(out);
    snprintf(cmd, sizeof cmd, "printf '{\"prompt\": 3}\\n' > %s/bad.jsonl && build/recad generate -m %s/run/final --prompts %s/bad.jsonl", d,
             d, d);
    CHECK(tf_run_cmd(cmd, &out) == 1 && strstr(out, "bad.jsonl:1: no string field \"prompt\""));
    free(out);
}
