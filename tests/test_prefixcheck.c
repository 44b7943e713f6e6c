/* test_prefixcheck.c - cad/prefixcheck: undeclared names and wrong call arities are refused as
 * they are written; every program the data pipeline writes passes at every cut. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tf.h"
#include "cad/codewrite.h"
#include "cad/exec.h"
#include "cad/prefixcheck.h"
#include "data/gen.h"
#include "data/rewrite.h"
#include "base/util.h"

static int ok(const char *prog, const char *tok) { return pfx_append_ok(prog, strlen(prog), tok, strlen(tok), NULL); }

static const char *why(const char *prog, const char *tok) {
    const char *w = NULL;
    pfx_append_ok(prog, strlen(prog), tok, strlen(tok), &w);
    return w ? w : "";
}

TEST(prefixcheck_globals_are_the_sandbox_globals) {
    /* the program reports the sandbox's global names through its error message */
    const char *src = "local t = {}\nfor k in pairs(_G) do t[#t + 1] = k end\ntable.sort(t)\nerror(table.concat(t, ','))\n";
    ex_limits lim;
    ex_default_limits(&lim);
    cad_model m;
    REQUIRE(ex_run(src, strlen(src), "g", &lim, &m) != 0);
    const char *msg = strstr(ut_error(), "g:4: ");
    REQUIRE_MSG(msg, "%s", ut_error());
    char *list = ut_strdup(msg + 5);
    int nsandbox = 0;
    for (char *save = NULL, *w = strtok_r(list, ",", &save); w; w = strtok_r(NULL, ",", &save), nsandbox++) {
        int found = 0;
        for (const char *const *g = pfx_globals(); *g; g++) found |= !strcmp(*g, w);
        CHECK_MSG(found, "sandbox global %s is not in pfx_globals", w);
    }
    int nlist = 0;
    for (const char *const *g = pfx_globals(); *g; g++) nlist++;
    CHECK_MSG(nlist == nsandbox, "%d names listed, %d in the sandbox", nlist, nsandbox);
    free(list);
}

TEST(prefixcheck_refuses_a_name_never_declared) {
    const char *p = "local h, r2 = 5, 2\nExtrude(Sketch(XY, Face(Loop(Circle(0,0, r";
    CHECK(ok(p, "2"));          /* "r2": declared */
    CHECK(ok(p, "a"));          /* "ra": the start of rawget, rawequal, ... */
    CHECK(!ok(p, ")"));         /* "r" ends: never declared */
    CHECK(!strcmp(why(p, ")"), "undeclared name"));
    CHECK(ok(p, "2)"));
    CHECK(!ok(p, "3"));         /* "r3" starts no name that may be read */
    /* "{h, h2}": the second extent never declared */
    CHECK(!ok("local h, rf = 217, 153\nExtrude(s, {h, h2", "}"));
    CHECK(ok("local h, h2 = 217, 153\nExtrude(s, {h, h2", "}"));
    /* table keys, fields, keywords, globals */
    CHECK(ok("local t = 3\nExtrude(s, {sy", "m"));
    CHECK(ok("local t = 3\nExtrude(s, {sym", " = t}"));
    CHECK(ok("local a = math.ra", "d(30)"));
    CHECK(ok("local a = math.anything", " + 1"));
    CHECK(ok("local a = 1\nif a > 0 the", "n"));
    CHECK(ok("local p = Pla", "ne({0, 0, 0}, {1, 0, 0}, {0, 0, 1})"));
    CHECK(!ok("local a = ", "oz + 1"));
    CHECK(!ok("Extrude(Sketch(Plane({0, 0, ", "oz}"));
}

TEST(prefixcheck_knows_every_kind_of_declaration) {
    const char *p = "local w, d = 60, 40\nlocal function side(s, k)\n  return s * k\nend\n"
                    "for i = 0, 2 do local q = i end\nfor key, val in ipairs({}) do end\nfunction g(u) return u end\n";
    const char *uses[] = {"w", "d", "side", "s", "k", "i", "q", "key", "val", "g", "u"};
    for (size_t k = 0; k < sizeof uses / sizeof uses[0]; k++) {
        char use[32];
        snprintf(use, sizeof use, "local z = %s\n", uses[k]);
        CHECK_MSG(ok(p, use), "%s is declared", uses[k]);
    }
    CHECK(!ok(p, "local z = v\n"));
    /* names in strings and comments are not read */
    CHECK(ok("local a = 1 -- zz\n", "local b = 'yy' .. \"xx\" --[[ ww ]]\n"));
    CHECK(ok("local s = [[ qq ", "rr ]]\n"));
    /* a prefix kept by a repair is not judged again */
    CHECK(ok("local a = q\n", "local b = a\n"));
    /* numbers with exponents and hex digits are not names */
    CHECK(ok("local a = 1e-3 + 0x1F + ", "2E+5\n"));
    CHECK(ok("local a = 0x1p", "4 + .5 + 3."));
    CHECK(ok("local a = 1", "e"));                 /* an exponent may follow */
    CHECK(!ok("local a = 1e", " + 2"));
    CHECK(!ok("local a = -16.255", "s * 2"));
    CHECK(!strcmp(why("local a = -16.255", "s * 2"), "a malformed number"));
    CHECK(!ok("local a = 38.5", "cu"));
    CHECK(!ok("local a = 1.2", ".3"));
}

TEST(prefixcheck_counts_the_arguments_of_curves_and_planes) {
    CHECK(!ok("Line(1,2, 3,4", ","));
    CHECK(!strcmp(why("Line(1,2, 3,4", ","), "too many arguments"));
    CHECK(ok("Line(1,2, 3,4", ")"));
    CHECK(!ok("Line(1,2, 3", ")"));
    CHECK(!strcmp(why("Line(1,2, 3", ")"), "too few arguments"));
    CHECK(ok("Line(f(1, 2, 3, 4, 5), g(6), 3", ",4)")); /* nested calls count for themselves */
    CHECK(ok("Arc(1,2, 3,4, 5", ",6)"));
    CHECK(!ok("Arc(1,2, 3,4, 5", ")"));
    CHECK(!ok("Circle(0,0, 1", ",")); /* the degenerate repetition seen in sampled answers */
    CHECK(ok("Circle(0,0, 1", ")"));
    CHECK(!ok("Extrude(s", ")"));
    CHECK(ok("Extrude(s, 5", ")"));
    CHECK(ok("Extrude(s, {1, 2, 3}, \"new\"", ")"));
    CHECK(!ok("Extrude(s, 5, \"new\"", ", 4)"));
    CHECK(ok("local a, b, c, d, e, f, g, h = 1, 2, 3, 4, 5, 6, 7, 8\nLoop(a, b, c, d, e, f, g", ", h)")); /* not counted */
    CHECK(!ok("Face(Loop(", "}"));
    /* an operand right after another inside a bracket, or a statement there */
    CHECK(!ok("local h = 6\nFace(Loop(Line(-9, -14.83, -9, 14.83\n", "local"));
    CHECK(!strcmp(why("local h = 6\nFace(Loop(Line(-9, -14.83, -9, 14.83,\n", "local "), "a statement inside an open bracket"));
    CHECK(!ok("local h = 6\nFace(Loop(Line(-9, -14.83, -9, 14.83\n", "Extrude"));
    CHECK(!strcmp(why("Loop(Line(1, 2, 3, 4) ", "Line"), "a missing ',' or operator"));
    CHECK(!ok("Line(1, 2, 3", " 4"));
    CHECK(ok("local a, b = 1, 2\nLine(1, a ", "and b or 2, 3, 4)"));
    CHECK(ok("local t = {}\nlocal ok = pcall(function() local z = 1 ", "return z end)"));
    CHECK(ok("local h, s = 1, 2\n", "Extrude(s, h) local q = 2 Extrude(s, q)")); /* statements may follow each other */
    CHECK(!strcmp(why("Face(Loop(", "}"), "a closing bracket that matches no open one"));
}

TEST(prefixcheck_keeps_a_loop_of_curves_connected_and_closed) {
    const char *p = "local s = 1\nFace(Loop(Line(-s * 5, -14.8, -s * 5, 14.8), Line(";
    CHECK(ok(p, "-s * 5, 14.8, 0, 0)"));
    CHECK(ok(p, "-s*5,"));                 /* spaces do not matter */
    CHECK(ok(p, "-s * "));                 /* on its way */
    CHECK(!ok(p, "-s * 6"));               /* cannot become "-s * 5" */
    CHECK(!ok(p, "-s * 5, 14.9"));
    CHECK(!strcmp(why(p, "-s * 5, 14.9"), "a curve that does not start where the last one ended"));
    CHECK(!ok(p, "-s * 5, 14.8 + 1"));
    /* the loop must end where it began */
    const char *q = "Loop(Line(0,0, 10,0), Line(10,0, 10,5), Arc(10,5, 5,7, 0,5)";
    CHECK(!ok(q, ")"));
    CHECK(!strcmp(why(q, ")"), "a loop that does not end where it began"));
    CHECK(ok(q, ", Line(0,5, 0,0))"));
    CHECK(!ok("Loop(Line(0,0, 10,0)", ")"));  /* one line never closes */
    CHECK(!ok("Loop(Line(0,0, 10,0), ", "Line(10,1, 0,0))"));
    CHECK(ok("Loop(Circle(0,0, 5", "))"));
    /* loops not written out curve by curve are left to the executor */
    CHECK(ok("local a, b = 1, 2\nLoop(a, b", ")"));
    CHECK(ok("local t = {}\nLoop(table.unpack(t)", ")"));
    CHECK(ok("local c = 1\nLoop(c, Line(0,0, 1,0)", ")"));
}

/* every program the generator and the parametric rewrite write passes, cut anywhere: walk each
 * one in chunks of 1-8 bytes (as tokens come) and ask about every chunk */
TEST(prefixcheck_passes_every_generated_program_at_every_cut) {
    gn_options o;
    gn_default_options(&o);
    ut_rng r;
    ut_rng_seed(&r, 7);
    int programs = 0, refused = 0;
    for (long i = 0; i < 240; i++) {
        gn_part p;
        REQUIRE(gn_make(&o, 11, i, &p) == 0);
        rp_result res;
        char *srcs[2] = {cw_program(&p.model), rp_parametric(&p.model, &res)};
        for (int k = 0; k < 2; k++) {
            const char *s = srcs[k];
            size_t n = strlen(s), at = 0;
            programs++;
            while (at < n) {
                size_t len = 1 + (size_t)(ut_rng_uniform(&r) * 8);
                if (at + len > n) len = n - at;
                const char *w = NULL;
                if (!pfx_append_ok(s, at, s + at, len, &w)) {
                    if (refused++ < 3) fprintf(stderr, "refused at %zu (%s) in:\n%s\n", at, w, s);
                    break;
                }
                at += len;
            }
            free(srcs[k]);
        }
        gn_part_free(&p);
    }
    CHECK_MSG(refused == 0, "%d of %d programs refused", refused, programs);
}
