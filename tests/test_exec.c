/* Tests of exec.c: CADLib calls -> model, argument checking with line numbers, the sandbox and
 * its limits (hostile programs), validation errors located at the program line. */
#define _GNU_SOURCE /* strcasestr */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cad/exec.h"
#include "tf.h"
#include "base/util.h"

static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* runs src named "prog.lua"; returns ex_run's code, *secs the wall time, *cpu the CPU time */
static int run_timed(const char *src, cad_model *m, double *secs, double *cpu) {
    double t0 = ut_now(), c0 = cpu_now();
    cad_model tmp;
    cad_init(&tmp);
    int rc = ex_run(src, strlen(src), "prog.lua", NULL, m ? m : &tmp);
    if (secs) *secs = ut_now() - t0;
    if (cpu) *cpu = cpu_now() - c0;
    if (!m && rc == 0) cad_free(&tmp);
    return rc;
}

static int run(const char *src, cad_model *m, double *secs) { return run_timed(src, m, secs, NULL); }

/* AddressSanitizer makes the Lua VM and the allocator several times slower: the four memory bombs
 * below take 0.4 s of CPU together in the plain build and 1.5 s under `make asan`, where the curve
 * bomb alone once took 1.23 s on a loaded machine */
#if defined(__SANITIZE_ADDRESS__)
#define EXEC_CPU_LIMIT 3.0
#else
#define EXEC_CPU_LIMIT 1.0
#endif

/* the program must fail within 1 s of CPU time (3 s under AddressSanitizer) (and 2 s of wall time, generous on a loaded
 * machine) with an error starting with `prefix` and containing one of the '|'-separated
 * alternatives in `any` (case-insensitive) */
static void expect_error(const char *src, const char *prefix, const char *any, int line) {
    double secs, cpu;
    int rc = run_timed(src, NULL, &secs, &cpu);
    const char *e = ut_error();
    CHECK_MSG(rc == -1, "line %d: program should fail", line);
    CHECK_MSG(strncmp(e, prefix, strlen(prefix)) == 0, "line %d: error '%s' should start with '%s'", line, e, prefix);
    int found = 0;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", any);
    for (char *tok = strtok(buf, "|"); tok; tok = strtok(NULL, "|"))
        if (strcasestr(e, tok)) found = 1;
    CHECK_MSG(found, "line %d: error '%s' should mention one of '%s'", line, e, any);
    CHECK_MSG(cpu < EXEC_CPU_LIMIT && secs < 2.0 * EXEC_CPU_LIMIT, "line %d: took %.3f s CPU, %.3f s wall (limits %g s, %g s)",
              line, cpu, secs, EXEC_CPU_LIMIT, 2.0 * EXEC_CPU_LIMIT);
}
#define EXPECT_ERROR(src, prefix, any) expect_error(src, prefix, any, __LINE__)

static const char *plate_src =
    "local w, d, t = 60, 40, 6          -- plate\n"
    "local r, m = 3, 8                  -- hole radius, margin\n"
    "local holes = {}\n"
    "for _, x in ipairs{m, w - m} do\n"
    "  for _, y in ipairs{m, d - m} do holes[#holes + 1] = Loop(Circle(x, y, r)) end\n"
    "end\n"
    "local plate = Loop(Line(0,0, w,0), Line(w,0, w,d), Line(w,d, 0,d), Line(0,d, 0,0))\n"
    "Extrude(Sketch(XY, Face(plate, table.unpack(holes))), t, \"new\")\n";

TEST(exec_plate_with_holes_builds_the_model) {
    cad_model m;
    REQUIRE_MSG(run(plate_src, &m, NULL) == 0, "%s", ut_error());
    CHECK(m.nextrudes == 1 && m.nsketches == 1 && m.nfaces == 1 && m.nloops == 5 && m.ncurves == 8);
    CHECK(m.faces[0].first == 0 && m.faces[0].n == 5);
    int nlines = 0, ncircles = 0;
    for (int i = 0; i < m.ncurves; i++) {
        if (m.curves[i].kind == CAD_LINE) {
            nlines++;
            CHECK(m.curves[i].line == 7);
        } else if (m.curves[i].kind == CAD_CIRCLE) {
            ncircles++;
            CHECK(m.curves[i].line == 5);
            CHECK(m.curves[i].p[2] == 3);
        }
    }
    CHECK(nlines == 4 && ncircles == 4);
    /* the loop of lines: a 60 x 40 rectangle whatever the orientation validation chose */
    double lo[2] = {1e9, 1e9}, hi[2] = {-1e9, -1e9};
    for (int i = 0; i < m.ncurves; i++)
        if (m.curves[i].kind == CAD_LINE)
            for (int k = 0; k < 4; k++) {
                lo[k & 1] = fmin(lo[k & 1], m.curves[i].p[k]);
                hi[k & 1] = fmax(hi[k & 1], m.curves[i].p[k]);
            }
    CHECK(lo[0] == 0 && lo[1] == 0 && hi[0] == 60 && hi[1] == 40);
    CHECK(m.extrudes[0].kind == CAD_EXT_ONE && m.extrudes[0].d1 == 6 && m.extrudes[0].op == CAD_NEW);
    CHECK(m.extrudes[0].line == 8 && m.sketches[0].line == 8);
    CHECK(m.sketches[0].plane.n[2] == 1 && m.sketches[0].plane.x[0] == 1);
    cad_free(&m);
}

TEST(exec_extents_ops_and_planes) {
    const char *src = "local function sq(s) return Face(Loop(Line(0,0, s,0), Line(s,0, s,s), Line(s,s, 0,s), Line(0,s, 0,0))) end\n"
                      "Extrude(Sketch(XY, sq(10)), -4)\n"
                      "Extrude(Sketch(XZ, sq(5)), {3, 2}, \"join\")\n"
                      "Extrude(Sketch(YZ, sq(4)), {sym = 8}, \"cut\")\n"
                      "Extrude(Sketch(Plane({1,-2,3}, {1,1,0}, {0,0,2}), sq(2)), 1, \"intersect\")\n";
    cad_model m;
    REQUIRE_MSG(run(src, &m, NULL) == 0, "%s", ut_error());
    REQUIRE(m.nextrudes == 4 && m.nsketches == 4);
    cad_extrude *e = m.extrudes;
    CHECK(e[0].kind == CAD_EXT_ONE && e[0].d1 == -4 && e[0].op == CAD_NEW && e[0].line == 2);
    CHECK(e[1].kind == CAD_EXT_TWO && e[1].d1 == 3 && e[1].d2 == 2 && e[1].op == CAD_JOIN);
    CHECK(e[2].kind == CAD_EXT_SYM && e[2].d1 == 8 && e[2].op == CAD_CUT);
    CHECK(e[3].op == CAD_INTERSECT && e[3].line == 5);
    CHECK(m.sketches[1].plane.n[1] == -1 && m.sketches[1].plane.y[2] == 1); /* XZ */
    CHECK(m.sketches[2].plane.n[0] == 1 && m.sketches[2].plane.x[1] == 1); /* YZ */
    const cad_plane *p = &m.sketches[3].plane;
    CHECK(p->origin[0] == 1 && p->origin[1] == -2 && p->origin[2] == 3);
    CHECK_NEAR(p->x[0], sqrt(0.5), 1e-15);
    CHECK_NEAR(p->x[1], sqrt(0.5), 1e-15);
    CHECK_NEAR(p->n[2], 1, 1e-15);
    CHECK_NEAR(p->y[0], -sqrt(0.5), 1e-15); /* y = n x x */
    /* curves made inside the helper carry the helper's line */
    CHECK(m.curves[0].line == 1);
    cad_free(&m);
}

TEST(exec_arcs_and_sketch_reuse) {
    const char *src = "local s = Sketch(XY, Face(Loop(Line(-5,0, 5,0), Arc(5,0, 0,5, -5,0))))\n"
                      "Extrude(s, 2)\n"
                      "Extrude(s, {sym = 1}, 'join')\n";
    cad_model m;
    REQUIRE_MSG(run(src, &m, NULL) == 0, "%s", ut_error());
    CHECK(m.nsketches == 1 && m.nextrudes == 2 && m.ncurves == 2);
    CHECK(m.extrudes[0].sketch == 0 && m.extrudes[1].sketch == 0);
    int arcs = 0;
    for (int i = 0; i < m.ncurves; i++)
        if (m.curves[i].kind == CAD_ARC) {
            arcs++;
            CHECK(m.curves[i].p[2] == 0 && m.curves[i].p[3] == 5); /* the mid point is kept */
        }
    CHECK(arcs == 1);
    cad_free(&m);
}

TEST(exec_argument_errors_name_the_line) {
    EXPECT_ERROR("local c = Line(0,0, 1,0)\nLoop(c, 3)\n", "prog.lua:2: Loop: argument 2 is not a curve", "got number");
    EXPECT_ERROR("\n\nFace(Circle(0,0, 1))\n", "prog.lua:3: Face: argument 1 is not a loop", "got Curve");
    EXPECT_ERROR("local f = Face(Loop(Circle(0,0, 1)))\nExtrude(f, 1)\n", "prog.lua:2: Extrude: argument 1 is not a sketch",
                 "got Face");
    EXPECT_ERROR("Line(0,0, 1)\n", "prog.lua:1: Line: expects 4 numbers", "got 3 arguments");
    EXPECT_ERROR("Arc(0,0, 1,1, 2,'0')\n", "prog.lua:1: Arc: argument 6 is not a number", "got string");
    EXPECT_ERROR("Circle(0,0, -2)\n", "prog.lua:1: Circle: radius must be positive", "-2");
    EXPECT_ERROR("Loop()\n", "prog.lua:1: Loop: needs at least one curve", "curve");
    EXPECT_ERROR("Sketch(Face(Loop(Circle(0,0,1))))\n", "prog.lua:1: Sketch: argument 1 is not a plane", "got Face");
    EXPECT_ERROR("Sketch(XY)\n", "prog.lua:1: Sketch: needs at least one face", "face");
    EXPECT_ERROR("Plane({0,0,0}, {1,0,0}, {0,0,0})\n", "prog.lua:1: Plane:", "zero length");
    EXPECT_ERROR("Plane({0,0,0}, {0,0,1}, {0,0,1})\n", "prog.lua:1: Plane:", "parallel");
    EXPECT_ERROR("Plane({0,0}, {1,0,0}, {0,0,1})\n", "prog.lua:1: Plane: argument 1 (origin)", "3 numbers");
    const char *sk = "local s = Sketch(XY, Face(Loop(Circle(0,0, 1))))\n";
    char buf[512];
    snprintf(buf, sizeof buf, "%sExtrude(s, 1, 'union')\n", sk);
    EXPECT_ERROR(buf, "prog.lua:2: Extrude: argument 3 (op)", "got union");
    snprintf(buf, sizeof buf, "%sExtrude(s, {1, 2, 3})\n", sk);
    EXPECT_ERROR(buf, "prog.lua:2: Extrude: argument 2 (extent)", "{sym = t}");
    snprintf(buf, sizeof buf, "%sExtrude(s, {sym = 'x'})\n", sk);
    EXPECT_ERROR(buf, "prog.lua:2: Extrude: argument 2 (extent)", "{d1, d2}");
    snprintf(buf, sizeof buf, "%sExtrude(s)\n", sk);
    EXPECT_ERROR(buf, "prog.lua:2: Extrude: expects (sketch, extent [, op])", "got 1 argument");
    /* an error raised inside a helper function names the helper's line */
    EXPECT_ERROR("local function bad(x)\n  return Loop(x)\nend\nbad(5)\n", "prog.lua:2: Loop:", "not a curve");
    /* the program's own errors keep their location */
    EXPECT_ERROR("\nerror('my message')\n", "prog.lua:2: my message", "my message");
    EXPECT_ERROR("error({})\n", "prog.lua:1: error object is a table value", "table");
    EXPECT_ERROR("local x = \n", "prog.lua:", "unexpected symbol|near");
}

TEST(exec_handles_cannot_be_forged_or_tampered) {
    /* metatables are locked, handles are not tables, string tricks do not make handles */
    const char *src = "local c = Line(0,0, 1,0)\n"
                      "assert(getmetatable(c) == false)\n"
                      "assert(type(c) == 'userdata')\n"
                      "assert(tostring(c) == 'Curve(Line)')\n"
                      "assert(tostring(Loop(Circle(0,0,1))) == 'Loop(1 curves)')\n"
                      "assert(not pcall(setmetatable, c, {}))\n"
                      "assert(not pcall(function() return c.kind end))\n"
                      "assert(not pcall(Loop, {kind = 0}))\n"
                      "assert(not pcall(Loop, 'Curve'))\n"
                      "Extrude(Sketch(XY, Face(Loop(Circle(0,0, 1)))), 1)\n";
    cad_model m;
    REQUIRE_MSG(run(src, &m, NULL) == 0, "%s", ut_error());
    cad_free(&m);
}

TEST(exec_sandbox_has_no_dangerous_functions) {
    EXPECT_ERROR("os.execute('touch /tmp/recad_pwned')\n", "prog.lua:1:", "global 'os'");
    EXPECT_ERROR("local f = io.open('/etc/passwd')\n", "prog.lua:1:", "global 'io'");
    EXPECT_ERROR("local m = require('os')\n", "prog.lua:1:", "global 'require'");
    EXPECT_ERROR("dofile('/etc/passwd')\n", "prog.lua:1:", "global 'dofile'");
    EXPECT_ERROR("loadfile('/etc/passwd')\n", "prog.lua:1:", "global 'loadfile'");
    EXPECT_ERROR("local f = load('\\27Lua\\84\\0')\n", "prog.lua:1:", "global 'load'");
    EXPECT_ERROR("local s = string.dump(function() end)\n", "prog.lua:1:", "field 'dump'");
    EXPECT_ERROR("local s = ('x'):dump()\n", "prog.lua:1:", "method 'dump'");
    EXPECT_ERROR("debug.sethook()\n", "prog.lua:1:", "global 'debug'");
    EXPECT_ERROR("package.loadlib('libc.so.6', 'system')\n", "prog.lua:1:", "global 'package'");
    EXPECT_ERROR("collectgarbage('stop')\n", "prog.lua:1:", "global 'collectgarbage'");
    EXPECT_ERROR("print('hello')\n", "prog.lua:1:", "global 'print'");
    EXPECT_ERROR("coroutine.wrap(function() end)()\n", "prog.lua:1:", "global 'coroutine'");
    EXPECT_ERROR("local a = string.find(string.rep('a', 30), 'a*a*a*a*a*a*a*a*b')\n", "prog.lua:1:", "field 'find'");
    EXPECT_ERROR("local r = math.random()\n", "prog.lua:1:", "field 'random'");
    /* what stays: math, string basics, table, pcall */
    const char *ok = "local t = {}\n"
                     "for i = 1, 10 do table.insert(t, math.sin(i) * 2) end\n"
                     "table.sort(t)\n"
                     "assert(#t == 10 and t[1] <= t[2])\n"
                     "assert(string.format('%d-%s', 3, ('ab'):upper()) == '3-AB')\n"
                     "assert(select('#', table.unpack(t)) == 10 and tonumber('2.5') == 2.5)\n"
                     "assert(pcall(error, 'x') == false)\n"
                     "Extrude(Sketch(XY, Face(Loop(Circle(0,0, math.pi)))), math.sqrt(4))\n";
    cad_model m;
    REQUIRE_MSG(run(ok, &m, NULL) == 0, "%s", ut_error());
    CHECK(m.extrudes[0].d1 == 2);
    cad_free(&m);
}

TEST(exec_hostile_binary_chunks_are_refused) {
    /* a program text that is a binary chunk is refused by the loader (text mode only) */
    static const char bin[] = "\x1bLua\x54\x00\x19\x93\r\n\x1a\n\x04\x08\x08";
    double t0 = ut_now();
    cad_model m;
    CHECK(ex_run(bin, sizeof bin - 1, "prog.lua", NULL, &m) == -1);
    CHECK_MSG(strstr(ut_error(), "binary chunk") != NULL, "%s", ut_error());
    CHECK(ut_now() - t0 < 1.0);
}

TEST(exec_hostile_infinite_loops_hit_the_budget) {
    EXPECT_ERROR("local x = 0\nwhile true do x = x + 1 end\n", "prog.lua:2: instruction budget of 10000000 exceeded",
                 "budget");
    /* pcall cannot swallow the stop */
    EXPECT_ERROR("while true do\n  pcall(function() while true do end end)\nend\n", "prog.lua:",
                 "instruction budget of 10000000 exceeded");
    EXPECT_ERROR("local function f() while true do end end\nlocal ok = xpcall(f, function() while true do end end)\n",
                 "prog.lua:2:", "global 'xpcall'");
    /* a to-be-closed variable's handler runs under the budget too */
    EXPECT_ERROR("local x <close> = setmetatable({}, {__close = function() while true do end end})\n"
                 "while true do end\n",
                 "prog.lua:", "instruction budget");
    /* work hidden in C library loops is charged too */
    EXPECT_ERROR("local s = string.rep('', 1e15)\n", "prog.lua:1: instruction budget", "budget");
    EXPECT_ERROR("table.move({}, 1, 1e12, 2)\n", "prog.lua:1: instruction budget", "budget");
    EXPECT_ERROR("local t = setmetatable({}, {__len = function() return 1e15 end})\ntable.insert(t, 1, 0)\n",
                 "prog.lua:2: instruction budget", "budget");
    /* finalizers would run outside the budget: refused */
    EXPECT_ERROR("\nsetmetatable({}, {__gc = function() while true do end end})\n", "prog.lua:2: setmetatable:",
                 "__gc");
    /* a smaller configured budget */
    ex_limits lim;
    ex_default_limits(&lim);
    lim.max_instructions = 50000;
    cad_model m;
    const char *loop = "for i = 1, 1e9 do end\n";
    CHECK(ex_run(loop, strlen(loop), "small.lua", &lim, &m) == -1);
    CHECK_MSG(strcmp(ut_error(), "small.lua:1: instruction budget of 50000 exceeded") == 0, "%s", ut_error());
}

TEST(exec_hostile_memory_bombs_hit_the_cap) {
    EXPECT_ERROR("local s = 'x'\nwhile true do s = s .. s end\n", "prog.lua:2: memory limit of 64 MB exceeded", "memory");
    EXPECT_ERROR("local t = {}\nlocal i = 0\nwhile true do i = i + 1; t[i] = {i} end\n", "prog.lua:",
                 "memory limit of 64 MB exceeded|instruction budget");
    EXPECT_ERROR("local s = string.rep('x', 1e10)\n", "prog.lua:1:", "memory limit|instruction budget|too large");
    EXPECT_ERROR("local t = {}\nfor i = 1, 1e9 do t[#t + 1] = Line(0,0, i,1) end\n", "prog.lua:",
                 "memory limit|instruction budget");
    /* pcall around allocation failures does not get past the cap */
    EXPECT_ERROR("local s = 'x'\nwhile true do pcall(function() s = s .. s end) end\n", "prog.lua:",
                 "memory limit|instruction budget");
    ex_limits lim;
    ex_default_limits(&lim);
    lim.max_memory = 1 << 20;
    cad_model m;
    const char *grow = "local t = {}\nfor i = 1, 1e6 do t[i] = i end\n";
    double t0 = ut_now();
    CHECK(ex_run(grow, strlen(grow), "prog.lua", &lim, &m) == -1);
    CHECK_MSG(strcmp(ut_error(), "prog.lua:2: memory limit of 1 MB exceeded") == 0, "%s", ut_error());
    CHECK(ut_now() - t0 < 1.0);
    /* too small to even start */
    lim.max_memory = 1000;
    CHECK(ex_run(grow, strlen(grow), "prog.lua", &lim, &m) == -1);
    CHECK_MSG(strstr(ut_error(), "memory limit") != NULL, "%s", ut_error());
}

TEST(exec_hostile_deep_recursion) {
    EXPECT_ERROR("local function f(n) return 1 + f(n + 1) end\nf(1)\n", "prog.lua:",
                 "stack overflow|memory limit");
    EXPECT_ERROR("local t = setmetatable({}, {})\ngetmetatable(t).__index = function(t, k) return t[k] end\n"
                 "local x = t.a\n",
                 "prog.lua:", "stack overflow|memory limit");
    EXPECT_ERROR("local function f() return tostring(setmetatable({}, {__tostring = f})) end\nf()\n", "prog.lua:",
                 "stack overflow|memory limit|__tostring");
}

TEST(exec_hostile_garbage_program) {
    /* 1 MB of random bytes, then 1 MB of random printable text */
    size_t n = 1 << 20;
    char *g = ut_malloc(n);
    ut_rng r;
    ut_rng_seed(&r, 7);
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < n; i++) g[i] = pass ? (char)(32 + ut_rng_u64(&r) % 95) : (char)ut_rng_u64(&r);
        if (!pass) g[0] = 'x'; /* not the binary-chunk signature: reach the parser */
        double t0 = ut_now();
        cad_model m;
        CHECK(ex_run(g, n, "garbage.lua", NULL, &m) == -1);
        CHECK_MSG(strncmp(ut_error(), "garbage.lua:", 12) == 0, "%s", ut_error());
        CHECK_MSG(ut_now() - t0 < 1.0, "%.3f s", ut_now() - t0);
    }
    free(g);
}

TEST(exec_hostile_nan_inf_and_huge_values) {
    EXPECT_ERROR("Line(0,0, 0/0, 1)\n", "prog.lua:1: Line: argument 3 is not a finite number", "nan");
    EXPECT_ERROR("\nCircle(math.huge, 0, 1)\n", "prog.lua:2: Circle: argument 1 is not a finite number", "inf");
    EXPECT_ERROR("Arc(0,0, 1,1, 2,-math.huge)\n", "prog.lua:1: Arc: argument 6", "inf");
    EXPECT_ERROR("Line(0,0, 1e300, 1)\n", "prog.lua:1: Line: argument 3 is out of range", "1e+300");
    EXPECT_ERROR("local s = Sketch(XY, Face(Loop(Circle(0,0, 1))))\nExtrude(s, 0/0)\n", "prog.lua:2: Extrude:", "nan");
    EXPECT_ERROR("local s = Sketch(XY, Face(Loop(Circle(0,0, 1))))\nExtrude(s, {1, math.huge})\n", "prog.lua:2: Extrude:",
                 "finite");
    EXPECT_ERROR("local s = Sketch(XY, Face(Loop(Circle(0,0, 1))))\nExtrude(s, {sym = -0/0})\n", "prog.lua:2: Extrude:",
                 "finite");
    EXPECT_ERROR("Plane({0,0,0/0}, {1,0,0}, {0,0,1})\n", "prog.lua:1: Plane: argument 1 (origin) entry 3", "finite");
}

TEST(exec_hostile_huge_models_hit_the_curve_limit) {
    EXPECT_ERROR("local c = {}\nfor i = 1, 20000 do c[i] = Line(i,0, i+1,0) end\nlocal l = Loop(table.unpack(c))\n",
                 "prog.lua:3: Loop: too many curves (limit 10000)", "limit");
    EXPECT_ERROR("local c = {}\nfor i = 1, 3000 do c[i] = Loop(Circle(3*i,0, 1)) end\n"
                 "local f = Face(table.unpack(c))\nlocal s = Sketch(XY, f, f, f, f)\n",
                 "prog.lua:4: Sketch: too many curves (limit 10000)", "limit");
    EXPECT_ERROR("local s = Sketch(XY, Face(Loop(Circle(0,0, 1))))\nfor i = 1, 5000 do Extrude(s, i, 'join') end\n",
                 "prog.lua:2: Extrude: too many extrudes (limit 1000)", "limit");
    EXPECT_ERROR("for i = 1, 11000 do Extrude(Sketch(XY, Face(Loop(Circle(0,0, i)))), 1, 'join') end\n",
                 "prog.lua:1: Extrude:", "limit");
}

TEST(exec_empty_program_is_an_error) {
    EXPECT_ERROR("local a = 1\n\nlocal c = Circle(0,0, 2)\n", "prog.lua:3: the program made no Extrude call", "no solid");
    EXPECT_ERROR("", "prog.lua:1: the program made no Extrude call", "Extrude");
}

/* ---- validation, located at the offending line (va_validate does the geometry) ---- */

TEST(exec_validation_open_loop) {
    EXPECT_ERROR("local l = Loop(Line(0,0, 10,0),\n  Line(10,0, 10,10),\n  Line(10,10, 0,10))\n"
                 "Extrude(Sketch(XY, Face(l)), 5)\n",
                 "prog.lua:", "closed|open|gap");
}

TEST(exec_validation_self_intersecting_loop) {
    EXPECT_ERROR("local l = Loop(Line(0,0, 10,10), Line(10,10, 10,0), Line(10,0, 0,10), Line(0,10, 0,0))\n"
                 "Extrude(Sketch(XY, Face(l)), 5)\n",
                 "prog.lua:1:", "intersect");
}

TEST(exec_validation_zero_length_curve) {
    EXPECT_ERROR("local l = Loop(Line(0,0, 10,0), Line(10,0, 10,10),\n  Line(10,10, 10,10),\n"
                 "  Line(10,10, 0,10), Line(0,10, 0,0))\nExtrude(Sketch(XY, Face(l)), 5)\n",
                 "prog.lua:2:", "zero-length|zero length");
}

TEST(exec_validation_collinear_arc) {
    EXPECT_ERROR("local l = Loop(Line(0,0, 10,0),\n  Arc(10,0, 5,0, 0,0))\nExtrude(Sketch(XY, Face(l)), 5)\n",
                 "prog.lua:2:", "collinear");
}

TEST(exec_validation_hole_outside_outer_loop) {
    EXPECT_ERROR("local outer = Loop(Line(0,0, 10,0), Line(10,0, 10,10), Line(10,10, 0,10), Line(0,10, 0,0))\n"
                 "local hole = Loop(Circle(30,5, 2))\nExtrude(Sketch(XY, Face(outer, hole)), 5)\n",
                 "prog.lua:", "outside");
}

TEST(exec_validation_zero_extent) {
    EXPECT_ERROR("local s = Sketch(XY, Face(Loop(Circle(0,0, 1))))\n\nExtrude(s, 0)\n", "prog.lua:3:", "zero");
    EXPECT_ERROR("local s = Sketch(XY, Face(Loop(Circle(0,0, 1))))\nExtrude(s, {2, -2})\n", "prog.lua:2:", "zero|empty");
}

TEST(exec_validation_empty_result) {
    /* an intersect with a disjoint body leaves nothing */
    EXPECT_ERROR("Extrude(Sketch(XY, Face(Loop(Circle(0,0, 1)))), 1)\n"
                 "Extrude(Sketch(XY, Face(Loop(Circle(10,0, 1)))), 1, 'intersect')\n",
                 "prog.lua:2:", "empty");
}

TEST(exec_examples_run) {
    const char *names[] = {"plate", "bracket", "flange", "pocket"};
    for (int i = 0; i < 4; i++) {
        char path[256];
        snprintf(path, sizeof path, "examples/%s.lua", names[i]);
        cad_model m;
        ex_stats st;
        size_t len;
        char *src = ut_read_file(path, &len);
        REQUIRE_MSG(src, "%s", ut_error());
        int rc = ex_run_stats(src, len, path, NULL, &m, &st);
        free(src);
        CHECK_MSG(rc == 0, "%s", ut_error());
        if (rc == 0) {
            CHECK(m.nextrudes >= 1);
            CHECK(st.instructions < 1000000 && st.peak_memory < (4 << 20));
            cad_free(&m);
        }
    }
}

TEST(exec_wall_clock_backstop) {
    /* comparing two equal 1 MiB strings costs a memcmp per instruction: time the budget cannot see */
    const char *src = "local a, b = string.rep('a', 2^20), string.rep('a', 2^20)\nlocal n = 0\n"
                      "for i = 1, 1e6 do if a == b then n = n + 1 end end\n";
    ex_limits lim;
    ex_default_limits(&lim);
    lim.max_seconds = 0.05;
    cad_model m;
    double t0 = ut_now();
    CHECK(ex_run(src, strlen(src), "prog.lua", &lim, &m) == -1);
    CHECK_MSG(strcmp(ut_error(), "prog.lua:3: time limit of 0.05 s exceeded") == 0, "%s", ut_error());
    CHECK_MSG(ut_now() - t0 < 1.0, "%.3f s", ut_now() - t0);
}

TEST(exec_random_token_soup_never_crashes) {
    /* programs stitched from CADLib tokens, numbers and punctuation: every run must end with 0 or
     * with an error located in the program, never a crash (run under `make asan` too) */
    static const char *tok[] = {"Line(", "Arc(", "Circle(", "Loop(", "Face(", "Sketch(", "Extrude(", "Plane(",
                                "XY", "XZ", "YZ", ")", ")", ",", ",", ",", "{", "}", "sym =", "'cut'", "'join'",
                                "0", "1", "-2.5", "10", "1e308", "0/0", "math.huge", "nil", "true", "'x'",
                                "local a =", "a", "\n", "for i = 1, 3 do", "end", "table.unpack({", "})", "..",
                                "#", "(", "function() return", "setmetatable({}, {__index = a})", "pcall("};
    int ntok = (int)(sizeof tok / sizeof *tok), ok = 0;
    ut_rng r;
    ut_rng_seed(&r, 11);
    char src[2048];
    for (int k = 0; k < 3000; k++) {
        int n = 0, len = 1 + (int)(ut_rng_u64(&r) % 40);
        for (int i = 0; i < len && n < (int)sizeof src - 64; i++)
            n += snprintf(src + n, sizeof src - (size_t)n, "%s ", tok[ut_rng_u64(&r) % (uint64_t)ntok]);
        cad_model m;
        int rc = ex_run(src, (size_t)n, "fuzz.lua", NULL, &m);
        if (rc == 0) {
            ok++;
            cad_free(&m);
        } else {
            CHECK_MSG(rc == -1 && strncmp(ut_error(), "fuzz.lua:", 9) == 0, "program:\n%s\nerror: %s", src, ut_error());
        }
    }
    fprintf(stderr, "    %d of 3000 random programs built a model\n", ok);
}
