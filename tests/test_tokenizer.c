/* Tests of tokenizer.c: pre-tokenisation (against Python's re as an independent reference),
 * exact round trips, digit splitting, special tokens, training order, tokenizer.json I/O. */
#include <stdlib.h>
#include <string.h>

#include "tf.h"
#include "ml/tokenizer.h"
#include "base/util.h"

/* a small corpus of parametric CADLib programs, the kind the model learns to write */
static const char *const cad_corpus[] = {
    "local w, d, t = 60, 40, 6          -- plate\n"
    "local r, m = 3, 8                  -- hole radius, margin\n"
    "local holes = {}\n"
    "for _, x in ipairs{m, w - m} do\n"
    "  for _, y in ipairs{m, d - m} do holes[#holes + 1] = Loop(Circle(x, y, r)) end\n"
    "end\n"
    "local plate = Loop(Line(0,0, w,0), Line(w,0, w,d), Line(w,d, 0,d), Line(0,d, 0,0))\n"
    "Extrude(Sketch(XY, Face(plate, table.unpack(holes))), t, \"new\")\n",

    "-- L-bracket: two plates joined\n"
    "local a, b, t = 50, 30, 5\n"
    "local base = Loop(Line(0,0, a,0), Line(a,0, a,b), Line(a,b, 0,b), Line(0,b, 0,0))\n"
    "Extrude(Sketch(XY, Face(base)), t, \"new\")\n"
    "local wall = Loop(Line(0,0, a,0), Line(a,0, a,b), Line(a,b, 0,b), Line(0,b, 0,0))\n"
    "Extrude(Sketch(XZ, Face(wall)), t, \"join\")\n",

    "-- flange with a bolt circle\n"
    "local R, r0, n, rb, h = 40, 12, 6, 3.5, 8\n"
    "local holes = {}\n"
    "for i = 0, n - 1 do\n"
    "  local a = 2 * math.pi * i / n\n"
    "  holes[#holes + 1] = Loop(Circle(28 * math.cos(a), 28 * math.sin(a), rb))\n"
    "end\n"
    "Extrude(Sketch(XY, Face(Loop(Circle(0, 0, R)), Loop(Circle(0, 0, r0)), table.unpack(holes))), h, \"new\")\n",

    "-- slot with rounded ends, cut through a block\n"
    "local L, W, H = 80, 30, 20\n"
    "local s, rs = 40, 5\n"
    "local block = Loop(Line(0,0, L,0), Line(L,0, L,W), Line(L,W, 0,W), Line(0,W, 0,0))\n"
    "Extrude(Sketch(XY, Face(block)), H, \"new\")\n"
    "local x0, x1, yc = (L - s) / 2, (L + s) / 2, W / 2\n"
    "local slot = Loop(Line(x0,yc-rs, x1,yc-rs), Arc(x1,yc-rs, x1+rs,yc, x1,yc+rs),\n"
    "                  Line(x1,yc+rs, x0,yc+rs), Arc(x0,yc+rs, x0-rs,yc, x0,yc-rs))\n"
    "Extrude(Sketch(Plane({0,0,H}, {1,0,0}, {0,0,1}), Face(slot)), {-H, 0}, \"cut\")\n",

    "-- symmetric rib pattern\n"
    "local function rib(x, w, h)\n"
    "  return Loop(Line(x,0, x+w,0), Line(x+w,0, x+w,h), Line(x+w,h, x,h), Line(x,h, x,0))\n"
    "end\n"
    "local ribs = {}\n"
    "for k = 1, 5 do ribs[k] = Face(rib(10 * k, 2.5, 12)) end\n"
    "Extrude(Sketch(YZ, table.unpack(ribs)), 15, \"symmetric\")\n",
};
static const int cad_ncorpus = (int)(sizeof cad_corpus / sizeof *cad_corpus);

static tok_tokenizer *train_cad(int vocab) {
    tok_train_opts o = {.vocab_size = vocab, .min_frequency = 2, .quiet = 1};
    return tok_train(cad_corpus, NULL, cad_ncorpus, &o);
}

/* pieces of s as a list of lengths */
static int split_all(const char *s, size_t n, int *lens) {
    int k = 0;
    for (size_t i = 0; i < n;) {
        size_t l = tok_pretoken((const uint8_t *)s + i, n - i);
        lens[k++] = (int)l;
        i += l;
    }
    return k;
}

TEST(tokenizer_pretoken_hand_checked_examples) {
    const char *s = "local w, d, t = 60, 40 -- it's\n\n  x";
    const char *want[] = {"local", " w", ",", " d", ",", " t", " =", " ", "6", "0", ",", " ", "4", "0", " --",
                          " it", "'s", "\n\n", " ", " x"};
    int lens[64], n = split_all(s, strlen(s), lens), off = 0;
    REQUIRE(n == (int)(sizeof want / sizeof *want));
    for (int i = 0; i < n; i++) {
        CHECK_MSG((int)strlen(want[i]) == lens[i] && !memcmp(s + off, want[i], (size_t)lens[i]), "piece %d: want '%s'", i,
                  want[i]);
        off += lens[i];
    }
    /* trailing spaces at the end form one piece; '(' binds to the word that follows */
    const char *s2 = "Line(x1   ";
    n = split_all(s2, strlen(s2), lens);
    REQUIRE(n == 4);
    CHECK(lens[0] == 4 && lens[1] == 2 && lens[2] == 1 && lens[3] == 3);
}

/* the pre-tokenizer agrees with Python's re running the Qwen2 pattern, with \p{L} = [A-Za-z\x80-\xff]
 * and \p{N} = [0-9], on random strings over a tricky alphabet */
TEST(tokenizer_pretoken_matches_python_regex) {
    if (system("/usr/bin/python3 -c 'import re' >/dev/null 2>&1") != 0) SKIP("no /usr/bin/python3");
    const char alpha[] = "aZq' \t\n\r\v\f09.,(){}=-_sStTrReEvVmMlLdD";
    const uint8_t high[] = {0x80, 0xc3, 0xa9, 0xff};
    char dir[512], in[600], py[600], cmd[2048];
    snprintf(dir, sizeof dir, "%s", tf_tmpdir());
    snprintf(in, sizeof in, "%s/strings.bin", dir);
    snprintf(py, sizeof py, "%s/split.py", dir);
    enum { NS = 300, LEN = 120 };
    char *buf = malloc((size_t)NS * (LEN + 1));
    ut_rng rng;
    ut_rng_seed(&rng, 7);
    for (int k = 0; k < NS; k++) {
        for (int i = 0; i < LEN; i++) {
            uint64_t r = ut_rng_u64(&rng) % (sizeof alpha - 1 + 4);
            buf[k * (LEN + 1) + i] = r < sizeof alpha - 1 ? alpha[r] : (char)high[r - (sizeof alpha - 1)];
        }
        buf[k * (LEN + 1) + LEN] = 0;
    }
    REQUIRE(ut_write_atomic(in, buf, (size_t)NS * (LEN + 1)) == 0);
    const char *script =
        "import re, sys\n"
        "L = rb'A-Za-z\\x80-\\xff'\n"
        "pat = re.compile(rb\"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\" + L + rb\"0-9]?[\" + L + rb\"]+|[0-9]| ?[^\\s\" + L +"
        " rb\"0-9]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+\")\n"
        "data = open(sys.argv[1], 'rb').read().split(b'\\0')[:-1]\n"
        "for s in data:\n"
        "    ps = pat.findall(s)\n"
        "    assert b''.join(ps) == s\n"
        "    print(' '.join(str(len(p)) for p in ps))\n";
    REQUIRE(ut_write_atomic(py, script, strlen(script)) == 0);
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s %s", py, in);
    char *out = NULL;
    REQUIRE(tf_run_cmd(cmd, &out) == 0);
    char *line = out;
    int mismatches = 0;
    for (int k = 0; k < NS; k++) {
        int lens[LEN + 1], n = split_all(buf + k * (LEN + 1), LEN, lens);
        char mine[4 * (LEN + 1)] = "", *p = mine;
        for (int i = 0; i < n; i++) p += sprintf(p, i ? " %d" : "%d", lens[i]);
        char *nl = strchr(line, '\n');
        REQUIRE(nl);
        *nl = 0;
        if (strcmp(mine, line)) {
            if (mismatches++ < 3) tf_fail(__FILE__, __LINE__, "string %d: ours [%s] python [%s]", k, mine, line);
        }
        line = nl + 1;
    }
    CHECK(mismatches == 0);
    free(out);
    free(buf);
}

TEST(tokenizer_roundtrip_random_bytes) {
    tok_tokenizer *t = train_cad(400);
    REQUIRE(t);
    ut_rng rng;
    for (int seed = 0; seed < 200; seed++) {
        ut_rng_seed(&rng, (uint64_t)seed);
        int n = (int)(ut_rng_u64(&rng) % 300);
        char *s = malloc((size_t)n + 1);
        for (int i = 0; i < n; i++) {
            /* half the seeds draw any byte, half mostly CAD-like ASCII */
            uint64_t r = ut_rng_u64(&rng);
            s[i] = (seed & 1) ? (char)(r & 0xff) : " ()0123456789,.=-abcdeLineArc\n\t"[r % 31];
        }
        int nids = 0;
        int *ids = tok_encode(t, s, (size_t)n, seed % 3 == 0 ? TOK_SPECIAL : 0, &nids);
        size_t len = 0;
        char *back = tok_decode(t, ids, nids, 0, &len);
        REQUIRE(back);
        CHECK_MSG(len == (size_t)n && !memcmp(back, s, (size_t)n), "seed %d: round trip differs", seed);
        free(ids);
        free(back);
        free(s);
    }
    tok_free(t);
}

TEST(tokenizer_roundtrip_cad_programs_and_compresses) {
    tok_tokenizer *t = train_cad(512);
    REQUIRE(t);
    size_t bytes = 0;
    int tokens = 0;
    for (int k = 0; k < cad_ncorpus; k++) {
        size_t n = strlen(cad_corpus[k]), len;
        int nids;
        int *ids = tok_encode(t, cad_corpus[k], n, 0, &nids);
        char *back = tok_decode(t, ids, nids, 0, &len);
        CHECK(len == n && !strcmp(back, cad_corpus[k]));
        /* encoding twice (second time from the cache) gives the same ids */
        int nids2;
        int *ids2 = tok_encode(t, cad_corpus[k], n, 0, &nids2);
        CHECK(nids2 == nids && !memcmp(ids, ids2, (size_t)nids * sizeof *ids));
        bytes += n;
        tokens += nids;
        free(ids);
        free(ids2);
        free(back);
    }
    /* trained on these very programs, BPE must compress them well below one token per byte */
    CHECK_MSG((double)tokens < 0.5 * (double)bytes, "%d tokens for %zu bytes", tokens, bytes);
    tok_free(t);
}

TEST(tokenizer_digits_are_one_per_token) {
    /* a corpus full of numbers: no merged token may contain a digit with anything else */
    const char *texts[] = {"x = 1234567890 + 1234567890 * 3.14159 - 2718281828 ; 100 200 300 400 500 600 777 888"};
    tok_train_opts o = {.vocab_size = 600, .quiet = 1};
    tok_tokenizer *t = tok_train(texts, NULL, 1, &o);
    REQUIRE(t);
    for (int r = 0; r < tok_nmerges(t); r++) {
        int a, b, c, len;
        REQUIRE(tok_merge(t, r, &a, &b, &c) == 0);
        const char *s = tok_token_bytes(t, c, &len);
        for (int i = 0; i < len; i++) CHECK_MSG(!(s[i] >= '0' && s[i] <= '9'), "merged token contains a digit");
    }
    const char *num = "Circle(12.75, 3060, 1)";
    int n;
    int *ids = tok_encode(t, num, strlen(num), 0, &n);
    int digits = 0;
    for (int i = 0; i < n; i++) {
        int len;
        const char *s = tok_token_bytes(t, ids[i], &len);
        if (s[0] >= '0' && s[0] <= '9') {
            digits++;
            CHECK(len == 1);
        }
    }
    CHECK(digits == 9);
    free(ids);
    tok_free(t);
}

TEST(tokenizer_special_tokens_only_when_marked) {
    tok_tokenizer *t = train_cad(400);
    REQUIRE(t);
    int st = tok_special_id(t, "<|im_start|>"), en = tok_special_id(t, "<|im_end|>"),
        eot = tok_special_id(t, "<|endoftext|>"), th = tok_special_id(t, "<think>");
    REQUIRE(st >= 0 && en >= 0 && eot >= 0 && th >= 0);
    CHECK(tok_is_special(t, st) && !tok_is_special(t, 'a'));
    CHECK(tok_vocab_size(t) == 400 || tok_vocab_size(t) < 400);
    const char *s = "<|im_start|>user\nplate<|im_end|><think>";
    int n;
    int *ids = tok_encode(t, s, strlen(s), TOK_SPECIAL, &n);
    REQUIRE(n >= 4);
    CHECK(ids[0] == st && ids[n - 1] == th && ids[n - 2] == en);
    size_t len;
    char *back = tok_decode(t, ids, n, 0, &len);
    CHECK(!strcmp(back, s));
    free(back);
    back = tok_decode(t, ids, n, TOK_SKIP_SPECIAL, &len);
    CHECK(!strcmp(back, "user\nplate"));
    free(back);
    free(ids);
    /* unmarked: the same text is ordinary bytes and yields no special id */
    ids = tok_encode(t, s, strlen(s), 0, &n);
    for (int i = 0; i < n; i++) CHECK(!tok_is_special(t, ids[i]));
    back = tok_decode(t, ids, n, 0, &len);
    CHECK(!strcmp(back, s));
    free(back);
    free(ids);
    /* ids out of range are an error, not a crash */
    int bad = tok_vocab_size(t) + 5;
    CHECK(tok_decode(t, &bad, 1, 0, &len) == NULL);
    tok_free(t);
}

/* the classic example: word counts hug 10, pug 5, pun 12, bun 4, hugs 5 */
TEST(tokenizer_training_merges_in_expected_order) {
    tok_trainer *tr = tok_trainer_new();
    const char *w[] = {"hug", "pug", "pun", "bun", "hugs"};
    int c[] = {10, 5, 12, 4, 5};
    for (int i = 0; i < 5; i++)
        for (int k = 0; k < c[i]; k++) tok_trainer_add(tr, w[i], strlen(w[i]));
    tok_train_opts o = {.vocab_size = 300, .quiet = 1};
    tok_tokenizer *t = tok_trainer_finish(tr, &o);
    tok_trainer_free(tr);
    REQUIRE(t);
    /* u+g (20), u+n (16), h+ug (15), p+un (12), then the tie at 5 goes to the smaller ids:
     * p+ug (112, 256) before hug+s (258, 115), then b+un (4) */
    const char *want[] = {"ug", "un", "hug", "pun", "pug", "hugs", "bun"};
    REQUIRE(tok_nmerges(t) == 7);
    for (int r = 0; r < 7; r++) {
        int a, b, id, len;
        tok_merge(t, r, &a, &b, &id);
        const char *s = tok_token_bytes(t, id, &len);
        CHECK_MSG(len == (int)strlen(want[r]) && !memcmp(s, want[r], (size_t)len), "merge %d: want %s", r, want[r]);
        CHECK(id == 256 + r);
    }
    CHECK(tok_vocab_size(t) == 256 + 7 + tok_default_nspecials);
    int n;
    int *ids = tok_encode(t, "hugs", 4, 0, &n);
    CHECK(n == 1 && ids[0] == 256 + 5);
    free(ids);
    ids = tok_encode(t, "bug", 3, 0, &n); /* b + ug */
    CHECK(n == 2 && ids[0] == 'b' && ids[1] == 256);
    free(ids);
    tok_free(t);
}

TEST(tokenizer_save_load_same_encodings) {
    tok_tokenizer *t = train_cad(450);
    REQUIRE(t);
    char path[512];
    snprintf(path, sizeof path, "%s/tokenizer.json", tf_tmpdir());
    REQUIRE(tok_save(t, path) == 0);
    tok_tokenizer *u = tok_load(path);
    REQUIRE_MSG(u, "load: %s", ut_error());
    CHECK(tok_vocab_size(u) == tok_vocab_size(t) && tok_nmerges(u) == tok_nmerges(t));
    ut_rng rng;
    ut_rng_seed(&rng, 3);
    for (int k = 0; k < cad_ncorpus + 20; k++) {
        char rnd[200];
        const char *s = k < cad_ncorpus ? cad_corpus[k] : rnd;
        size_t n = k < cad_ncorpus ? strlen(s) : sizeof rnd;
        for (size_t i = 0; k >= cad_ncorpus && i < n; i++) rnd[i] = (char)(ut_rng_u64(&rng) & 0xff);
        int n1, n2;
        int *a = tok_encode(t, s, n, TOK_SPECIAL, &n1), *b = tok_encode(u, s, n, TOK_SPECIAL, &n2);
        CHECK(n1 == n2 && !memcmp(a, b, (size_t)n1 * sizeof *a));
        free(a);
        free(b);
    }
    /* saving the loaded tokenizer gives the same file */
    char *j1 = tok_to_json(t), *j2 = tok_to_json(u);
    CHECK(!strcmp(j1, j2));
    free(j1);
    free(j2);
    tok_free(t);
    tok_free(u);
}

/* the byte alphabet equals GPT-2's bytes_to_unicode table (built here the way GPT-2 builds it:
 * kept bytes first, then the others in byte order from 256), both directions, out-of-range -1;
 * the same answers from 8 threads at once */
TEST(tokenizer_byte_alphabet_is_gpt2s) {
    int b2c[256], c2b[600], n = 0;
    for (int c = 0; c < 600; c++) c2b[c] = -1;
    for (int b = 0; b < 256; b++) {
        int kept = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
        b2c[b] = kept ? b : 256 + n++;
        c2b[b2c[b]] = b;
    }
    CHECK(n == 68);
    int bad = 0;
#pragma omp parallel for num_threads(8) reduction(+ : bad)
    for (int k = 0; k < 8 * 1000; k++) {
        int v = k % 1000 - 200;
        if (v < 0) bad += tok_byte_to_cp(v) != -1 || tok_cp_to_byte(v) != -1;
        else {
            bad += tok_byte_to_cp(v) != (v < 256 ? b2c[v] : -1);
            bad += tok_cp_to_byte(v) != (v < 600 ? c2b[v] : -1);
        }
    }
    CHECK_MSG(bad == 0, "%d differences", bad);
}

TEST(tokenizer_load_accepts_pair_merges_and_vocab_specials) {
    /* a minimal hand-written file: the 256 byte tokens, one merge as a pair, a special also in vocab */
    char *js = malloc(20000), *p = js;
    p += sprintf(p, "{\"model\":{\"type\":\"BPE\",\"vocab\":{");
    for (int b = 0; b < 256; b++) {
        int cp = tok_byte_to_cp(b);
        char u[3] = {0};
        if (cp < 0x80) u[0] = (char)cp;
        else u[0] = (char)(0xC0 | (cp >> 6)), u[1] = (char)(0x80 | (cp & 0x3F));
        if (cp == '"' || cp == '\\') p += sprintf(p, "\"\\%s\":%d,", u, b);
        else p += sprintf(p, "\"%s\":%d,", u, b);
    }
    p += sprintf(p, "\"\xc4\xa0x\":256,\"<|endoftext|>\":257},\"merges\":[[\"\xc4\xa0\",\"x\"]]},"
                    "\"added_tokens\":[{\"id\":257,\"content\":\"<|endoftext|>\",\"special\":true}]}");
    tok_tokenizer *t = tok_from_json(js, strlen(js));
    REQUIRE_MSG(t, "%s", ut_error());
    int n;
    int *ids = tok_encode(t, "a x<|endoftext|>", 16, TOK_SPECIAL, &n);
    CHECK(n == 3 && ids[0] == 'a' && ids[1] == 256 && ids[2] == 257);
    free(ids);
    tok_free(t);
    free(js);
}

TEST(tokenizer_load_errors_are_clear) {
    struct {
        const char *json, *needle;
    } cases[] = {
        {"{\"model\": {\"type\": \"BPE\", \"vocab\": {", "malformed JSON"},
        {"{\"model\": {\"type\": \"WordPiece\", \"vocab\": {}, \"merges\": []}}", "only \"BPE\""},
        {"{\"model\": {\"type\": \"BPE\", \"merges\": []}}", "model.vocab"},
        {"{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}}", "lacks the token of byte"},
        {"{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": -3}, \"merges\": []}}", "no valid id"},
        {"{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a b\": 1}, \"merges\": []}}", "not a byte-level string"},
        {"[1, 2]", "no \"model\" object"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        tok_tokenizer *t = tok_from_json(cases[i].json, strlen(cases[i].json));
        CHECK(t == NULL);
        CHECK_MSG(strstr(ut_error(), cases[i].needle) != NULL, "case %zu: error '%s' lacks '%s'", i, ut_error(),
                  cases[i].needle);
        tok_free(t);
    }
    /* a merge naming an unknown token */
    tok_tokenizer *t = train_cad(300);
    char *js = tok_to_json(t);
    char *m = strstr(js, "\"merges\"");
    REQUIRE(m && (m = strchr(m, '[')));
    size_t head = (size_t)(m - js) + 1;
    char *js2 = malloc(strlen(js) + 32);
    memcpy(js2, js, head);
    strcpy(js2 + head, "\"zzqq qqzz\",");
    strcat(js2, js + head);
    free(js);
    js = js2; /* merge #0 now names tokens that are not in the vocabulary */
    tok_tokenizer *u = tok_from_json(js, strlen(js));
    CHECK(u == NULL && strstr(ut_error(), "merge #0") != NULL);
    tok_free(u);
    free(js);
    tok_free(t);
    CHECK(tok_load("/nonexistent/tokenizer.json") == NULL && strstr(ut_error(), "/nonexistent/tokenizer.json"));
}

TEST(tokenizer_long_piece_and_large_corpus_are_fast) {
    /* ~1 MB of program text trains in seconds and a 200 kB single piece encodes in linearithmic time */
    size_t cap = 1 << 20, n = 0;
    char *big = malloc(cap + 4096);
    ut_rng rng;
    ut_rng_seed(&rng, 11);
    while (n < cap) {
        const char *s = cad_corpus[ut_rng_u64(&rng) % (uint64_t)cad_ncorpus];
        size_t l = strlen(s);
        memcpy(big + n, s, l);
        n += l;
        n += (size_t)sprintf(big + n, "-- %llu\n", (unsigned long long)(ut_rng_u64(&rng) % 100000));
    }
    double t0 = ut_now();
    const char *texts[] = {big};
    size_t lens[] = {n};
    tok_train_opts o = {.vocab_size = 2048, .quiet = 1};
    tok_tokenizer *t = tok_train(texts, lens, 1, &o);
    double dt = ut_now() - t0;
    REQUIRE(t);
    CHECK_MSG(dt < 30, "training on %zu bytes took %.1f s", n, dt);
    size_t ln = 200000;
    char *piece = malloc(ln);
    memset(piece, 'e', ln);
    t0 = ut_now();
    int k;
    int *ids = tok_encode(t, piece, ln, 0, &k);
    CHECK_MSG(ut_now() - t0 < 5, "long piece took %.1f s", ut_now() - t0);
    size_t blen;
    char *back = tok_decode(t, ids, k, 0, &blen);
    CHECK(blen == ln && !memcmp(back, piece, ln));
    free(back);
    free(ids);
    free(piece);
    free(big);
    tok_free(t);
}

/* `recad tokenizer train|encode|decode` round trip through files, JSONL fields included */
TEST(tokenizer_cli_train_encode_decode) {
    char corpus[600], jl[600], tj[600], cmd[4096];
    snprintf(corpus, sizeof corpus, "%s/corpus.lua", tf_tmpdir());
    snprintf(jl, sizeof jl, "%s/data.jsonl", tf_tmpdir());
    snprintf(tj, sizeof tj, "%s/tokenizer.json", tf_tmpdir());
    REQUIRE(ut_write_atomic(corpus, cad_corpus[0], strlen(cad_corpus[0])) == 0);
    const char *jsonl = "{\"prompt\": \"a plate with four holes\", \"program\": \"Extrude(Sketch(XY, Face(p)), 6, \\\"new\\\")\"}\n"
                        "{\"prompt\": \"a flange\", \"program\": \"local R = 40\"}\n";
    REQUIRE(ut_write_atomic(jl, jsonl, strlen(jsonl)) == 0);
    snprintf(cmd, sizeof cmd, "build/recad tokenizer train --vocab 320 --out %s --field program --json %s %s", tj, corpus, jl);
    char *out = NULL;
    REQUIRE_MSG(tf_run_cmd(cmd, &out) == 0, "%s", out);
    CHECK(strstr(out, "\"vocab_size\":") != NULL);
    free(out);
    tok_tokenizer *t = tok_load(tj);
    REQUIRE(t);
    snprintf(cmd, sizeof cmd, "build/recad tokenizer encode --tokenizer %s %s | build/recad tokenizer decode --tokenizer %s",
             tj, corpus, tj);
    REQUIRE(tf_run_cmd(cmd, &out) == 0);
    CHECK(!strcmp(out, cad_corpus[0]));
    free(out);
    /* --special makes <|endoftext|> one id */
    snprintf(cmd, sizeof cmd, "build/recad tokenizer encode --tokenizer %s --special --text 'x<|endoftext|>'", tj);
    REQUIRE(tf_run_cmd(cmd, &out) == 0);
    char want[64];
    snprintf(want, sizeof want, "120 %d\n", tok_special_id(t, "<|endoftext|>"));
    CHECK_MSG(!strcmp(out, want), "got '%s' want '%s'", out, want);
    free(out);
    /* errors: malformed JSONL line (1), missing tokenizer (3, the path named), no --vocab (2) */
    REQUIRE(ut_write_atomic(jl, "{\"a\": 1}\nnot json\n", 18) == 0);
    snprintf(cmd, sizeof cmd, "build/recad tokenizer train --vocab 300 --out %s/x.json %s", tf_tmpdir(), jl);
    CHECK(tf_run_cmd(cmd, &out) == 1 && strstr(out, "data.jsonl:2"));
    free(out);
    CHECK(tf_run_cmd("build/recad tokenizer encode --tokenizer /nonexistent/t.json --text a", &out) == 3 &&
          strstr(out, "/nonexistent/t.json"));
    free(out);
    CHECK(tf_run_cmd("build/recad tokenizer train --out x.json foo", &out) == 2);
    free(out);
    tok_free(t);
}
