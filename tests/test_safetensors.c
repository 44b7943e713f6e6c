/* test_safetensors.c - safetensors format, validation errors, and loading a Qwen2 checkpoint laid
 * out as the Hugging Face tooling writes it (F32, BF16, F16). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "ml/nn.h"
#include "ml/safetensors.h"
#include "tf.h"
#include "base/util.h"

TEST(st_half_conversions) {
    CHECK(st_bf16_to_f32(0x3f80) == 1.0f);
    CHECK(st_bf16_to_f32(0xc040) == -3.0f);
    CHECK(st_f16_to_f32(0x3c00) == 1.0f);
    CHECK(st_f16_to_f32(0xc000) == -2.0f);
    CHECK(st_f16_to_f32(0x0001) == ldexpf(1.0f, -24)); /* smallest subnormal */
    CHECK(st_f16_to_f32(0x7bff) == 65504.0f);
    CHECK(isinf(st_f16_to_f32(0x7c00)));
    CHECK(st_f32_to_bf16(1.0f) == 0x3f80);
    /* 1 + 2^-8 is halfway between two bf16 values: ties to even (down); a bit more rounds up */
    CHECK(st_f32_to_bf16(1.0f + ldexpf(1.0f, -8)) == 0x3f80);
    CHECK(st_f32_to_bf16(1.0f + ldexpf(1.0f, -8) + ldexpf(1.0f, -15)) == 0x3f81);
}

TEST(st_write_read_roundtrip) {
    char path[512];
    snprintf(path, sizeof path, "%s/t.safetensors", tf_tmpdir());
    float a[6] = {1, -2, 3.5f, 1e-30f, -0.0f, 7}, b[3] = {0.25f, 0.5f, 0.75f};
    st_entry e[2] = {{"layer.a", a, 2, {2, 3}}, {"b", b, 1, {3}}};
    const char *meta[] = {"step", "42", "note", "x"};
    REQUIRE(st_write(path, e, 2, meta, 2) == 0);
    st_file f;
    REQUIRE(st_open(&f, path) == 0);
    CHECK(f.num_tensors == 2);
    CHECK(f.data_start % 8 == 0);
    REQUIRE(st_meta(&f, "step") && !strcmp(st_meta(&f, "step"), "42"));
    CHECK(st_meta(&f, "missing") == NULL);
    float out[6];
    int64_t sh[2] = {2, 3};
    REQUIRE(st_load(&f, "layer.a", 2, sh, out) == 0);
    CHECK(memcmp(out, a, sizeof a) == 0);
    int64_t sh2[1] = {3};
    REQUIRE(st_load(&f, "b", 1, sh2, out) == 0);
    CHECK(memcmp(out, b, sizeof b) == 0);
    /* wrong shape and missing tensor name the problem */
    int64_t bad[2] = {3, 2};
    CHECK(st_load(&f, "layer.a", 2, bad, out) == -1);
    CHECK(strstr(ut_error(), "layer.a") && strstr(ut_error(), "[2, 3]") && strstr(ut_error(), "expected [3, 2]"));
    CHECK(st_load(&f, "nope", 1, sh2, out) == -1);
    CHECK(strstr(ut_error(), "missing tensor \"nope\""));
    st_close(&f);
}

/* writes an 8-byte length + header + ndata zero bytes */
static void write_raw(const char *path, const char *header, size_t ndata, long long fake_len) {
    FILE *f = fopen(path, "wb");
    REQUIRE(f);
    unsigned long long n = fake_len >= 0 ? (unsigned long long)fake_len : strlen(header);
    for (int i = 0; i < 8; i++) fputc((int)((n >> (8 * i)) & 255), f);
    fwrite(header, 1, strlen(header), f);
    for (size_t i = 0; i < ndata; i++) fputc(0, f);
    fclose(f);
}

static void expect_open_error(const char *header, size_t ndata, long long fake_len, const char *needle) {
    char path[512];
    snprintf(path, sizeof path, "%s/bad.safetensors", tf_tmpdir());
    write_raw(path, header, ndata, fake_len);
    st_file f;
    int rc = st_open(&f, path);
    CHECK_MSG(rc == -1, "st_open accepted %s", header);
    if (rc == 0) {
        st_close(&f);
        return;
    }
    CHECK_MSG(strstr(ut_error(), needle) != NULL, "error \"%s\" lacks \"%s\"", ut_error(), needle);
    CHECK(strstr(ut_error(), "bad.safetensors") != NULL);
}

TEST(st_rejects_corrupt_files) {
    expect_open_error("{not json", 0, -1, "not a JSON object");
    expect_open_error("{}", 0, 1LL << 40, "header length");
    expect_open_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8, -1, "truncated");
    expect_open_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,12]}}", 16, -1, "need 16");
    expect_open_error("{\"a\":{\"dtype\":\"Q7\",\"shape\":[4],\"data_offsets\":[0,16]}}", 16, -1, "unknown dtype");
    expect_open_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[-4],\"data_offsets\":[0,16]}}", 16, -1, "bad shape");
    expect_open_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[4]}}", 16, -1, "data_offsets");
    expect_open_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                      "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}",
                      16, -1, "overlap");
    char path[512];
    snprintf(path, sizeof path, "%s/short.safetensors", tf_tmpdir());
    REQUIRE(ut_write_atomic(path, "abc", 3) == 0);
    st_file f;
    CHECK(st_open(&f, path) == -1 && strstr(ut_error(), "too short"));
    CHECK(st_open(&f, "/nonexistent/x.safetensors") == -1 && strstr(ut_error(), "cannot open"));
    /* a readable header with an integer tensor: listed, but not readable as float */
    snprintf(path, sizeof path, "%s/int.safetensors", tf_tmpdir());
    write_raw(path, "{\"ids\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]}}", 16, -1);
    REQUIRE(st_open(&f, path) == 0);
    float out[2];
    int64_t sh[1] = {2};
    CHECK(st_load(&f, "ids", 1, sh, out) == -1 && strstr(ut_error(), "dtype I64"));
    st_close(&f);
}

static int have_torch(void) {
    char *out = NULL;
    int rc = tf_run_cmd("/usr/bin/python3 -c 'import torch' 2>&1", &out);
    free(out);
    return rc == 0;
}

/* A random Qwen2 checkpoint written by tests/nn_reference.py in the given dtype; our logits must
 * match PyTorch's on the stored weights. */
static void qwen2_checkpoint(const char *dtype) {
    if (!have_torch()) SKIP("/usr/bin/python3 has no torch (scripts/setup.sh --test installs python3-torch)");
    const char *dir = tf_tmpdir();
    char cmd[1024], *out = NULL, path[512];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 tests/nn_reference.py --make-checkpoint %s %s 2>&1", dir, dtype);
    REQUIRE_MSG(tf_run_cmd(cmd, &out) == 0, "nn_reference.py: %s", out ? out : "");
    free(out);
    nn_model *m = nn_load(dir);
    REQUIRE_MSG(m, "nn_load: %s", ut_error());
    nn_set_threads(m, 2);
    CHECK(m->cfg.num_key_value_heads == 2 && m->cfg.num_attention_heads == 6 && !m->cfg.tie_word_embeddings);
    CHECK_NEAR(m->cfg.rope_theta, 1e6, 1);
    snprintf(path, sizeof path, "%s/expected.json", dir);
    char *text = ut_read_file(path, NULL);
    REQUIRE(text);
    cJSON *j = cJSON_Parse(text);
    free(text);
    REQUIRE(j);
    cJSON *tok = cJSON_GetObjectItem(j, "tokens"), *lg = cJSON_GetObjectItem(j, "logits");
    int T = cJSON_GetArraySize(tok), V = m->cfg.vocab_size;
    int *ids = ut_malloc(sizeof(int) * T);
    for (int i = 0; i < T; i++) ids[i] = cJSON_GetArrayItem(tok, i)->valueint;
    REQUIRE(nn_forward(m, ids, NULL, NULL, 0, 1, T) == 0);
    double md = 0, mx = 0;
    for (int t = 0; t < T; t++) {
        cJSON *row = cJSON_GetArrayItem(lg, t);
        REQUIRE(cJSON_GetArraySize(row) == V);
        for (int v = 0; v < V; v++) {
            double ref = cJSON_GetArrayItem(row, v)->valuedouble;
            md = fmax(md, fabs(m->acts.logits[(size_t)t * V + v] - ref));
            mx = fmax(mx, fabs(ref));
        }
    }
    CHECK_MSG(md <= 1e-4 * mx, "logits differ by %.3g (max |logit| %.3g)", md, mx);
    cJSON_Delete(j);
    free(ids);
    /* save in F32 and load again: identical parameters */
    char dir2[512];
    snprintf(dir2, sizeof dir2, "%s/resaved", dir);
    REQUIRE(nn_save(m, dir2) == 0);
    nn_model *m2 = nn_load(dir2);
    REQUIRE(m2 && m2->num_params == m->num_params);
    CHECK(memcmp(m2->param_mem, m->param_mem, m->num_params * sizeof(float)) == 0);
    nn_free(m2);
    nn_free(m);
}

TEST(st_qwen2_checkpoint_bf16) { qwen2_checkpoint("BF16"); }
TEST(st_qwen2_checkpoint_f32) { qwen2_checkpoint("F32"); }
TEST(st_qwen2_checkpoint_f16) { qwen2_checkpoint("F16"); }

TEST(st_checkpoint_validation_errors) {
    nn_config c = {0};
    c.vocab_size = 10;
    c.hidden_size = 8;
    c.intermediate_size = 6;
    c.num_hidden_layers = 1;
    c.num_attention_heads = 2;
    c.num_key_value_heads = 1;
    c.max_position_embeddings = 16;
    c.rope_theta = 10000;
    c.rms_norm_eps = 1e-6f;
    nn_model *m = nn_new(&c);
    REQUIRE(m);
    nn_init_random(m, 1, 0.1f);
    const char *dir = tf_tmpdir();
    REQUIRE(nn_save(m, dir) == 0);
    char path[512];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    /* a model with a different shape: names the tensor and both shapes */
    nn_config c2 = c;
    c2.intermediate_size = 7;
    nn_model *m2 = nn_new(&c2);
    CHECK(nn_load_weights(m2, path) == -1);
    CHECK(strstr(ut_error(), "model.layers.0.mlp.gate_proj.weight") && strstr(ut_error(), "expected [7, 8]"));
    nn_free(m2);
    /* untied model needs lm_head.weight, which a tied save lacks */
    nn_config c3 = c;
    c3.tie_word_embeddings = 0;
    c.tie_word_embeddings = 1;
    nn_model *mt = nn_new(&c);
    char dir2[512];
    snprintf(dir2, sizeof dir2, "%s/tied", dir);
    REQUIRE(nn_save(mt, dir2) == 0);
    snprintf(path, sizeof path, "%s/tied/model.safetensors", dir);
    nn_model *mu = nn_new(&c3);
    CHECK(nn_load_weights(mu, path) == -1 && strstr(ut_error(), "missing tensor \"lm_head.weight\""));
    nn_free(mu);
    nn_free(mt);
    /* truncated file */
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    size_t len = 0;
    char *data = ut_read_file(path, &len);
    REQUIRE(data && len > 100);
    REQUIRE(ut_write_atomic(path, data, len - 40) == 0);
    free(data);
    CHECK(nn_load_weights(m, path) == -1 && strstr(ut_error(), "truncated"));
    /* bad config */
    snprintf(path, sizeof path, "%s/config.json", dir);
    REQUIRE(ut_write_atomic(path, "{\"vocab_size\": 10}", 18) == 0);
    CHECK(nn_load(dir) == NULL && strstr(ut_error(), "missing key \"hidden_size\""));
    nn_config cc;
    CHECK(nn_config_parse(&cc, "{\"vocab_size\":10,\"hidden_size\":8,\"intermediate_size\":4,\"num_hidden_layers\":1,"
                               "\"num_attention_heads\":3}") == -1 &&
          strstr(ut_error(), "must divide"));
    CHECK(nn_config_parse(&cc, "[1,2]") == -1);
    CHECK(nn_config_parse(&cc, "{\"vocab_size\":10.5}") == -1 && strstr(ut_error(), "integer"));
    nn_free(m);
}
