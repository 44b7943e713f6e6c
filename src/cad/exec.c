/* exec.c - see exec.h.
 *
 * Handles: every CADLib value is a Lua full userdata holding one ex_blob, its type given by its
 * metatable (registry names "Curve", "Loop", "Face", "Sketch", "Plane"). A blob is self-contained
 * - a Loop copies its curves, a Face its loops' curves, a Sketch its faces' - so handles live
 * entirely in Lua memory (under the memory cap and the garbage collector) and nothing on the C
 * side grows until Extrude copies a sketch into the model (bounded by max_curves).
 *
 * Budget: a count hook adds EX_HOOK_STEP per call; the allocator adds one per EX_ALLOC_CHARGE
 * bytes it hands out; C library functions whose loops do not depend on memory (string.rep,
 * table.insert/remove/concat/unpack/sort/move) are charged their element counts up front. Once
 * the budget (or the wall-clock limit) is exceeded the hook fires on every instruction and raises
 * an error each time, so a program's pcall cannot resume running.
 */
#include "cad/exec.h"

#include <errno.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/budget.h"
#include "base/util.h"
#include "geom/validate.h"

#define EX_ALLOC_CHARGE 64 /* bytes allocated per budget instruction */

/* ---- context ---- */

typedef struct {
    ex_limits lim;
    lua_State *L;      /* set once the state exists; the allocator reads the line from it */
    size_t mem, peak;  /* bytes held by the Lua state */
    long steps;        /* instructions charged so far */
    double t0;         /* start time, for max_seconds */
    int stop;          /* 0 running, 1 budget, 2 time: every instruction now raises */
    int stop_line;     /* program line where the stop happened */
    int mem_hit, mem_line; /* the allocator refused a block (last refusal's line) */
    char name[LUA_IDSIZE + 8]; /* chunk name as Lua prints it */
    cad_model model;
} ex_ctx;

static ex_ctx *ex_ctx_of(lua_State *L) {
    void *ud;
    lua_getallocf(L, &ud);
    return ud;
}

void ex_default_limits(ex_limits *lim) {
    lim->max_instructions = 10000000;
    lim->max_memory = (size_t)64 << 20;
    lim->max_seconds = 5.0;
    lim->max_curves = 10000;
    lim->max_extrudes = 1000;
    bg_default_limits(&lim->geometry);
}

/* the line of the innermost Lua function at or above stack level `level`, 0 if none */
static int ex_lua_line(lua_State *L, int level) {
    lua_Debug ar;
    for (int lv = level; lv < level + 64 && lua_getstack(L, lv, &ar); lv++)
        if (lua_getinfo(L, "l", &ar) && ar.currentline > 0) return ar.currentline;
    return 0;
}

/* raises "<chunk>:<line>: <message>" with the line of the calling Lua code */
static int ex_raise(lua_State *L, const char *fmt, ...) UT_PRINTF(2, 3);
static int ex_raise(lua_State *L, const char *fmt, ...) {
    char msg[320];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ex_ctx *c = ex_ctx_of(L);
    int line = ex_lua_line(L, 1);
    if (line > 0) lua_pushfstring(L, "%s:%d: %s", c->name, line, msg);
    else lua_pushfstring(L, "%s: %s", c->name, msg);
    return lua_error(L);
}

/* ---- limits: allocator, hook, charges ---- */

static void ex_hook(lua_State *L, lua_Debug *ar);

static void ex_stop(ex_ctx *c, lua_State *L, int why, int line) {
    if (c->stop) return;
    c->stop = why;
    c->stop_line = line;
    lua_sethook(L, ex_hook, LUA_MASKCOUNT, 1); /* raise on the very next instruction */
}

static void ex_charge(ex_ctx *c, long n) {
    if (n <= 0) return;
    c->steps = n > c->lim.max_instructions - c->steps ? c->lim.max_instructions + 1 : c->steps + n;
}

static void *ex_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    ex_ctx *c = ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        c->mem -= old;
        return NULL;
    }
    if (nsize > old && nsize - old > c->lim.max_memory - c->mem) {
        c->mem_hit = 1;
        ex_charge(c, (long)((nsize - old) / EX_ALLOC_CHARGE)); /* a refused attempt costs too */
        if (c->L) c->mem_line = ex_lua_line(c->L, 0);
        return NULL; /* Lua collects garbage and retries once, then raises a memory error */
    }
    void *p = realloc(ptr, nsize);
    if (!p) return NULL;
    c->mem = c->mem - old + nsize;
    if (c->mem > c->peak) c->peak = c->mem;
    if (nsize > old && c->L && !c->stop) {
        ex_charge(c, (long)((nsize - old) / EX_ALLOC_CHARGE));
        if (c->steps > c->lim.max_instructions) ex_stop(c, c->L, 1, ex_lua_line(c->L, 0));
    }
    return p;
}

/* raises the stop's message (the run's final error text is rebuilt from c anyway) */
static void ex_stop_error(lua_State *L, ex_ctx *c) {
    if (c->stop == 2) lua_pushfstring(L, "%s:%d: time limit exceeded", c->name, c->stop_line);
    else lua_pushfstring(L, "%s:%d: instruction budget of %I exceeded", c->name, c->stop_line,
                         (lua_Integer)c->lim.max_instructions);
    lua_error(L);
}

static void ex_hook(lua_State *L, lua_Debug *ar) {
    ex_ctx *c = ex_ctx_of(L);
    int line = lua_getinfo(L, "l", ar) ? ar->currentline : 0;
    if (!c->stop) {
        ex_charge(c, EX_HOOK_STEP);
        if (c->steps > c->lim.max_instructions) ex_stop(c, L, 1, line);
        else if (c->lim.max_seconds > 0 && ut_now() - c->t0 > c->lim.max_seconds) ex_stop(c, L, 2, line);
        else return;
    }
    ex_stop_error(L, c);
}

/* charges n instructions for work a C library function is about to do; raises if over budget */
static void ex_charge_now(lua_State *L, double n) {
    ex_ctx *c = ex_ctx_of(L);
    if (!(n >= 1)) return; /* nothing to charge (also NaN) */
    ex_charge(c, n > 9e18 ? c->lim.max_instructions + 1 : (long)n);
    if (c->steps > c->lim.max_instructions) {
        ex_stop(c, L, 1, ex_lua_line(L, 1));
        ex_stop_error(L, c);
    }
}

/* element counts a table/string function is about to touch */
enum { EX_C_REP, EX_C_RANGE, EX_C_LEN, EX_C_SORT, EX_C_MOVE };

static double ex_int_arg(lua_State *L, int i, double dflt) {
    int ok;
    lua_Integer v = lua_tointegerx(L, i, &ok);
    return ok ? (double)v : dflt;
}

static double ex_len_arg(lua_State *L, int i) {
    if (lua_type(L, i) != LUA_TTABLE) return 0;
    return (double)luaL_len(L, i); /* may run a __len metamethod (counted like any Lua code) */
}

/* a closure around a library function: upvalue 1 the function, upvalue 2 its cost kind,
 * upvalue 3 (EX_C_RANGE) the argument index of the range start */
static int ex_charged(lua_State *L) {
    int kind = (int)lua_tointeger(L, lua_upvalueindex(2));
    double cost = 0;
    switch (kind) {
    case EX_C_REP: { /* string.rep(s, n [,sep]): n copies */
        double n = ex_int_arg(L, 2, 0);
        size_t ls = 0, lsep = 0;
        if (lua_type(L, 1) == LUA_TSTRING) lua_tolstring(L, 1, &ls);
        if (lua_type(L, 3) == LUA_TSTRING) lua_tolstring(L, 3, &lsep);
        cost = n > 0 ? n + n * (double)(ls + lsep) / EX_ALLOC_CHARGE : 0;
        break;
    }
    case EX_C_RANGE: { /* concat(t, sep, i, j) / unpack(t, i, j): i is argument `first` */
        int first = (int)lua_tointeger(L, lua_upvalueindex(3));
        double i = ex_int_arg(L, first, 1);
        double j = lua_isnoneornil(L, first + 1) ? ex_len_arg(L, 1) : ex_int_arg(L, first + 1, 0);
        cost = j - i + 1;
        break;
    }
    case EX_C_LEN: cost = ex_len_arg(L, 1); break; /* insert / remove shift up to #t elements */
    case EX_C_SORT: {
        double n = ex_len_arg(L, 1);
        cost = n > 1 ? n * (1 + log2(n)) : 0;
        break;
    }
    case EX_C_MOVE: cost = ex_int_arg(L, 3, 0) - ex_int_arg(L, 2, 1) + 1; break;
    }
    ex_charge_now(L, cost);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
}

/* replaces lib[name] (lib on top of the stack) by its charged wrapper */
static void ex_wrap(lua_State *L, const char *name, int kind, int first) {
    lua_getfield(L, -1, name);
    lua_pushinteger(L, kind);
    lua_pushinteger(L, first);
    lua_pushcclosure(L, ex_charged, 3);
    lua_setfield(L, -2, name);
}

/* setmetatable without __gc: finalizers run with hooks off, outside the budget */
static int ex_setmetatable(lua_State *L) {
    if (lua_type(L, 2) == LUA_TTABLE) {
        lua_pushliteral(L, "__gc");
        int has_gc = lua_rawget(L, 2) != LUA_TNIL;
        lua_pop(L, 1);
        if (has_gc) ex_raise(L, "setmetatable: __gc metamethods are not allowed");
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
}

/* ---- handles ---- */

typedef enum { EX_CURVE = 0, EX_LOOP, EX_FACE, EX_SKETCH, EX_PLANE, EX_NTYPES } ex_type;
static const char *const ex_tname[EX_NTYPES] = {"Curve", "Loop", "Face", "Sketch", "Plane"};
static const char *const ex_article[EX_NTYPES] = {"a curve", "a loop", "a face", "a sketch", "a plane"};

/* header of every handle; followed by cad_curve[ncurves], int loop_n[nloops] (curves per loop),
 * int face_n[nfaces] (loops per face) */
typedef struct {
    int ncurves, nloops, nfaces;
    int line;         /* Sketch: the line that made it */
    int model_sketch; /* Sketch: index in the model once extruded, else -1 */
    int pad_;
    cad_plane plane;  /* Sketch, Plane */
} ex_blob;

static cad_curve *ex_curves(ex_blob *b) { return (cad_curve *)(b + 1); }
static int *ex_loop_n(ex_blob *b) { return (int *)(ex_curves(b) + b->ncurves); }
static int *ex_face_n(ex_blob *b) { return ex_loop_n(b) + b->nloops; }

static ex_blob *ex_new(lua_State *L, ex_type t, int ncurves, int nloops, int nfaces) {
    size_t sz = sizeof(ex_blob) + (size_t)ncurves * sizeof(cad_curve) + (size_t)(nloops + nfaces) * sizeof(int);
    ex_blob *b = lua_newuserdatauv(L, sz, 0);
    memset(b, 0, sizeof *b);
    b->ncurves = ncurves;
    b->nloops = nloops;
    b->nfaces = nfaces;
    b->model_sketch = -1;
    luaL_setmetatable(L, ex_tname[t]);
    return b;
}

/* "number", "Loop", ... */
static const char *ex_typename(lua_State *L, int i) {
    if (lua_type(L, i) == LUA_TUSERDATA) {
        int t = luaL_getmetafield(L, i, "__name");
        if (t == LUA_TSTRING) {
            const char *s = lua_tostring(L, -1);
            lua_pop(L, 1); /* the name stays alive: the metatable holds it */
            return s;
        }
        if (t != LUA_TNIL) lua_pop(L, 1);
    }
    return luaL_typename(L, i);
}

static ex_blob *ex_check(lua_State *L, int i, ex_type t, const char *fn) {
    ex_blob *b = luaL_testudata(L, i, ex_tname[t]);
    if (!b) ex_raise(L, "%s: argument %d is not %s (got %s)", fn, i, ex_article[t], ex_typename(L, i));
    return b;
}

static double ex_number(lua_State *L, int i, const char *fn) {
    if (lua_type(L, i) != LUA_TNUMBER) ex_raise(L, "%s: argument %d is not a number (got %s)", fn, i, ex_typename(L, i));
    double v = lua_tonumber(L, i);
    if (!isfinite(v)) ex_raise(L, "%s: argument %d is not a finite number (%s)", fn, i, isnan(v) ? "nan" : "inf");
    if (fabs(v) > EX_MAX_COORD) ex_raise(L, "%s: argument %d is out of range (|%g| > %g mm)", fn, i, v, EX_MAX_COORD);
    return v;
}

static void ex_nargs(lua_State *L, const char *fn, int want, const char *form) {
    int n = lua_gettop(L);
    if (n != want) ex_raise(L, "%s: expects %d numbers %s, got %d argument%s", fn, want, form, n, n == 1 ? "" : "s");
}

static int ex_curve(lua_State *L, cad_curve_kind kind, const char *fn, int np, const char *form) {
    ex_nargs(L, fn, np, form);
    double p[6] = {0};
    for (int i = 0; i < np; i++) p[i] = ex_number(L, i + 1, fn);
    if (kind == CAD_CIRCLE && !(p[2] > 0)) ex_raise(L, "Circle: radius must be positive (got %g)", p[2]);
    ex_blob *b = ex_new(L, EX_CURVE, 1, 0, 0);
    cad_curve *cv = ex_curves(b);
    cv->kind = kind;
    memcpy(cv->p, p, sizeof p);
    cv->line = ex_lua_line(L, 1);
    return 1;
}

static int ex_Line(lua_State *L) { return ex_curve(L, CAD_LINE, "Line", 4, "(x1,y1, x2,y2)"); }
static int ex_Arc(lua_State *L) { return ex_curve(L, CAD_ARC, "Arc", 6, "(x1,y1, xm,ym, x2,y2)"); }
static int ex_Circle(lua_State *L) { return ex_curve(L, CAD_CIRCLE, "Circle", 3, "(cx,cy, r)"); }

/* checks args [first, top] are of type t and that their curves fit the limit; returns the sum */
static long ex_check_parts(lua_State *L, int first, ex_type t, const char *fn, const char *what, long *nloops,
                           long *nfaces) {
    int top = lua_gettop(L);
    if (top < first) ex_raise(L, "%s: needs at least one %s", fn, what);
    long nc = 0, nl = 0, nf = 0;
    ex_ctx *c = ex_ctx_of(L);
    for (int i = first; i <= top; i++) {
        ex_blob *b = ex_check(L, i, t, fn);
        nc += b->ncurves;
        nl += b->nloops;
        nf += b->nfaces;
        if (nc > c->lim.max_curves) ex_raise(L, "%s: too many curves (limit %d)", fn, c->lim.max_curves);
    }
    *nloops = nl;
    *nfaces = nf;
    return nc;
}

/* builds a container of type t from args [first, top]: copies every part's arrays in order */
static ex_blob *ex_gather(lua_State *L, int first, ex_type t, long nc, long nl, long nf) {
    int top = lua_gettop(L);
    ex_blob *b = ex_new(L, t, (int)nc, (int)nl, (int)nf);
    int ic = 0, il = 0, jf = 0;
    for (int i = first; i <= top; i++) {
        ex_blob *p = lua_touserdata(L, i);
        memcpy(ex_curves(b) + ic, ex_curves(p), (size_t)p->ncurves * sizeof(cad_curve));
        memcpy(ex_loop_n(b) + il, ex_loop_n(p), (size_t)p->nloops * sizeof(int));
        memcpy(ex_face_n(b) + jf, ex_face_n(p), (size_t)p->nfaces * sizeof(int));
        ic += p->ncurves;
        il += p->nloops;
        jf += p->nfaces;
    }
    return b;
}

static int ex_Loop(lua_State *L) {
    long nl, nf;
    long nc = ex_check_parts(L, 1, EX_CURVE, "Loop", "curve", &nl, &nf);
    ex_blob *b = ex_gather(L, 1, EX_LOOP, nc, 1, 0);
    ex_loop_n(b)[0] = (int)nc;
    return 1;
}

static int ex_Face(lua_State *L) {
    long nl, nf;
    long nc = ex_check_parts(L, 1, EX_LOOP, "Face", "loop (the outer boundary)", &nl, &nf);
    ex_blob *b = ex_gather(L, 1, EX_FACE, nc, nl, 1);
    ex_face_n(b)[0] = (int)nl;
    return 1;
}

static int ex_Sketch(lua_State *L) {
    ex_blob *pl = ex_check(L, 1, EX_PLANE, "Sketch");
    cad_plane plane = pl->plane;
    long nl, nf;
    long nc = ex_check_parts(L, 2, EX_FACE, "Sketch", "face after the plane", &nl, &nf);
    ex_blob *b = ex_gather(L, 2, EX_SKETCH, nc, nl, nf);
    b->plane = plane;
    b->line = ex_lua_line(L, 1);
    return 1;
}

static void ex_push_plane(lua_State *L, const cad_plane *p) {
    ex_blob *b = ex_new(L, EX_PLANE, 0, 0, 0);
    b->plane = *p;
}

/* a table {a, b, c} of three numbers */
static void ex_vec3(lua_State *L, int i, double v[3]) {
    static const char *what[3] = {"origin", "x direction", "normal"};
    if (lua_type(L, i) != LUA_TTABLE || lua_rawlen(L, i) != 3)
        ex_raise(L, "Plane: argument %d (%s) must be a table of 3 numbers {x, y, z}", i, what[i - 1]);
    for (int k = 0; k < 3; k++) {
        lua_rawgeti(L, i, k + 1);
        int ok = lua_type(L, -1) == LUA_TNUMBER;
        v[k] = lua_tonumber(L, -1);
        lua_pop(L, 1);
        if (!ok || !isfinite(v[k]) || fabs(v[k]) > EX_MAX_COORD)
            ex_raise(L, "Plane: argument %d (%s) entry %d is not a finite number", i, what[i - 1], k + 1);
    }
}

static int ex_Plane(lua_State *L) {
    if (lua_gettop(L) != 3)
        ex_raise(L, "Plane: expects 3 tables (origin, x direction, normal), got %d arguments", lua_gettop(L));
    double o[3], x[3], n[3];
    ex_vec3(L, 1, o);
    ex_vec3(L, 2, x);
    ex_vec3(L, 3, n);
    cad_plane p;
    if (cad_plane_make(&p, o, x, n) < 0) ex_raise(L, "Plane: %s", ut_error());
    ex_push_plane(L, &p);
    return 1;
}

/* extent argument -> kind, d1, d2 */
static void ex_extent(lua_State *L, int i, cad_extent_kind *kind, double *d1, double *d2) {
    *d2 = 0;
    if (lua_type(L, i) == LUA_TNUMBER) {
        *kind = CAD_EXT_ONE;
        *d1 = ex_number(L, i, "Extrude");
        return;
    }
    const char *form = "Extrude: argument 2 (extent) must be a number d, a table {d1, d2} or {sym = t}";
    if (lua_type(L, i) != LUA_TTABLE) ex_raise(L, "%s (got %s)", form, ex_typename(L, i));
    lua_pushstring(L, "sym"); /* tables here are the program's: raw access only */
    int has_sym = lua_rawget(L, i) != LUA_TNIL;
    double s = lua_tonumber(L, -1);
    int sym_num = lua_type(L, -1) == LUA_TNUMBER;
    lua_pop(L, 1);
    lua_Unsigned n = lua_rawlen(L, i);
    if (has_sym) {
        if (!sym_num || n != 0) ex_raise(L, "%s", form);
        if (!isfinite(s) || fabs(s) > EX_MAX_COORD) ex_raise(L, "Extrude: symmetric extent is not a finite number");
        if (s < 0) ex_raise(L, "Extrude: symmetric extent {sym = %g} is negative (it is the total thickness)", s);
        *kind = CAD_EXT_SYM;
        *d1 = s;
        return;
    }
    if (n != 2) ex_raise(L, "%s", form);
    double d[2];
    for (int k = 0; k < 2; k++) {
        lua_rawgeti(L, i, k + 1);
        int ok = lua_type(L, -1) == LUA_TNUMBER;
        d[k] = lua_tonumber(L, -1);
        lua_pop(L, 1);
        if (!ok || !isfinite(d[k]) || fabs(d[k]) > EX_MAX_COORD)
            ex_raise(L, "Extrude: extent entry %d is not a finite number", k + 1);
    }
    *kind = CAD_EXT_TWO;
    *d1 = d[0];
    *d2 = d[1];
}

/* copies a sketch handle into the model (once; later extrudes of it reuse the index) */
static int ex_materialize(lua_State *L, ex_ctx *c, ex_blob *b) {
    if (b->model_sketch >= 0) return b->model_sketch;
    cad_model *m = &c->model;
    if ((long)m->ncurves + b->ncurves > c->lim.max_curves)
        ex_raise(L, "Extrude: the model would have more than %d curves", c->lim.max_curves);
    cad_curve *cv = ex_curves(b);
    int *ln = ex_loop_n(b), *fn = ex_face_n(b);
    int first_face = m->nfaces, ic = 0, il = 0;
    for (int f = 0; f < b->nfaces; f++) {
        int first_loop = m->nloops;
        for (int l = 0; l < fn[f]; l++, il++) {
            int first_curve = m->ncurves;
            for (int k = 0; k < ln[il]; k++, ic++) cad_add_curve(m, cv[ic].kind, cv[ic].p, cv[ic].line);
            cad_add_loop(m, first_curve, ln[il]);
        }
        cad_add_face(m, first_loop, fn[f]);
    }
    b->model_sketch = cad_add_sketch(m, &b->plane, first_face, b->nfaces, b->line);
    return b->model_sketch;
}

static int ex_Extrude(lua_State *L) {
    int n = lua_gettop(L);
    if (n < 2 || n > 3) ex_raise(L, "Extrude: expects (sketch, extent [, op]), got %d argument%s", n, n == 1 ? "" : "s");
    ex_blob *b = ex_check(L, 1, EX_SKETCH, "Extrude");
    cad_extent_kind kind;
    double d1, d2;
    ex_extent(L, 2, &kind, &d1, &d2);
    cad_op op = CAD_NEW;
    if (!lua_isnoneornil(L, 3)) {
        size_t len = 0;
        const char *s = lua_type(L, 3) == LUA_TSTRING ? lua_tolstring(L, 3, &len) : NULL;
        if (s && strlen(s) != len) ex_raise(L, "Extrude: argument 3 (op) contains a NUL byte");
        if (!s || cad_op_parse(s, &op) < 0)
            ex_raise(L, "Extrude: argument 3 (op) must be \"new\", \"join\", \"cut\" or \"intersect\" (got %.40s%s)",
                     s ? s : ex_typename(L, 3), s && strlen(s) > 40 ? "..." : "");
    }
    ex_ctx *c = ex_ctx_of(L);
    if (c->model.nextrudes >= c->lim.max_extrudes) ex_raise(L, "Extrude: too many extrudes (limit %d)", c->lim.max_extrudes);
    int sk = ex_materialize(L, c, b);
    cad_add_extrude(&c->model, sk, kind, d1, d2, op, ex_lua_line(L, 1));
    return 0;
}

static int ex_tostring(lua_State *L) {
    for (int t = 0; t < EX_NTYPES; t++) {
        ex_blob *b = luaL_testudata(L, 1, ex_tname[t]);
        if (!b) continue;
        static const char *kinds[] = {"Line", "Arc", "Circle"};
        if (t == EX_CURVE) lua_pushfstring(L, "Curve(%s)", kinds[ex_curves(b)->kind]);
        else if (t == EX_PLANE) lua_pushliteral(L, "Plane");
        else if (t == EX_LOOP) lua_pushfstring(L, "Loop(%d curves)", b->ncurves);
        else if (t == EX_FACE) lua_pushfstring(L, "Face(%d loops)", b->nloops);
        else lua_pushfstring(L, "Sketch(%d faces)", b->nfaces);
        return 1;
    }
    lua_pushliteral(L, "?");
    return 1;
}

/* ---- the sandboxed state ---- */

static void ex_set_nil(lua_State *L, const char *const *names) {
    for (; *names; names++) {
        lua_pushnil(L);
        lua_setfield(L, -2, *names);
    }
}

/* protected: opens the safe libraries and registers CADLib */
static int ex_setup(lua_State *L) {
    luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
    /* xpcall: its handler would run with hooks off after a budget stop */
    static const char *const unsafe_base[] = {"dofile", "loadfile", "load", "require", "collectgarbage", "print",
                                              "warn", "xpcall", NULL};
    ex_set_nil(L, unsafe_base);
    lua_getfield(L, -1, "setmetatable");
    lua_pushcclosure(L, ex_setmetatable, 1);
    lua_setfield(L, -2, "setmetatable");
    lua_pop(L, 1);

    luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 1);
    static const char *const unsafe_math[] = {"random", "randomseed", NULL}; /* programs are deterministic */
    ex_set_nil(L, unsafe_math);
    lua_pop(L, 1);

    luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1);
    static const char *const unsafe_string[] = {"dump", "find", "match", "gmatch", "gsub", "pack", "unpack",
                                                "packsize", NULL};
    ex_set_nil(L, unsafe_string);
    ex_wrap(L, "rep", EX_C_REP, 0);
    lua_pop(L, 1);

    luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 1);
    ex_wrap(L, "concat", EX_C_RANGE, 3);
    ex_wrap(L, "unpack", EX_C_RANGE, 2);
    ex_wrap(L, "insert", EX_C_LEN, 0);
    ex_wrap(L, "remove", EX_C_LEN, 0);
    ex_wrap(L, "sort", EX_C_SORT, 0);
    ex_wrap(L, "move", EX_C_MOVE, 0);
    lua_pop(L, 1);

    for (int t = 0; t < EX_NTYPES; t++) {
        luaL_newmetatable(L, ex_tname[t]); /* sets __name */
        lua_pushboolean(L, 0);
        lua_setfield(L, -2, "__metatable"); /* getmetatable() sees false: nothing to tamper with */
        lua_pushcfunction(L, ex_tostring);
        lua_setfield(L, -2, "__tostring");
        lua_pop(L, 1);
    }
    static const luaL_Reg fns[] = {{"Line", ex_Line},     {"Arc", ex_Arc},       {"Circle", ex_Circle},
                                   {"Loop", ex_Loop},     {"Face", ex_Face},     {"Sketch", ex_Sketch},
                                   {"Plane", ex_Plane},   {"Extrude", ex_Extrude}, {NULL, NULL}};
    lua_pushglobaltable(L);
    luaL_setfuncs(L, fns, 0);
    cad_plane p;
    cad_plane_xy(&p);
    ex_push_plane(L, &p);
    lua_setfield(L, -2, "XY");
    cad_plane_xz(&p);
    ex_push_plane(L, &p);
    lua_setfield(L, -2, "XZ");
    cad_plane_yz(&p);
    ex_push_plane(L, &p);
    lua_setfield(L, -2, "YZ");
    lua_pop(L, 1);
    return 0;
}

/* message handler: every error becomes a string located at the program line that raised it */
static int ex_msgh(lua_State *L) {
    ex_ctx *c = ex_ctx_of(L);
    size_t nl = strlen(c->name);
    if (lua_type(L, 1) == LUA_TSTRING) {
        const char *m = lua_tostring(L, 1);
        if (strncmp(m, c->name, nl) == 0 && m[nl] == ':') return 1;
        int line = ex_lua_line(L, 1);
        if (line > 0) lua_pushfstring(L, "%s:%d: %s", c->name, line, m);
        else lua_pushfstring(L, "%s: %s", c->name, m);
        return 1;
    }
    lua_pushfstring(L, "%s:%d: error object is a %s value", c->name, ex_lua_line(L, 1), luaL_typename(L, 1));
    return 1;
}

/* the error of a failed run, in ut_error(); loading: the source did not compile */
static ex_outcome ex_fail_run(ex_ctx *c, lua_State *L, int status, int loading) {
    const char *m = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "unknown error";
    double mb = (double)c->lim.max_memory / (1 << 20);
    if (c->stop == 2) ut_fail("%s:%d: time limit of %g s exceeded", c->name, c->stop_line, c->lim.max_seconds);
    else if (c->stop) ut_fail("%s:%d: instruction budget of %ld exceeded", c->name, c->stop_line, c->lim.max_instructions);
    else if (status == LUA_ERRMEM || (c->mem_hit && (status == LUA_ERRERR || strstr(m, "not enough memory")))) {
        if (c->mem_line > 0) ut_fail("%s:%d: memory limit of %g MB exceeded", c->name, c->mem_line, mb);
        else ut_fail("%s: memory limit of %g MB exceeded", c->name, mb);
    } else {
        size_t nl = strlen(c->name);
        if (strncmp(m, c->name, nl) == 0 && m[nl] == ':') ut_fail("%s", m);
        else ut_fail("%s: %s", c->name, m);
        return loading ? EX_SYNTAX : EX_RUNTIME;
    }
    return EX_LIMIT;
}

/* the chunk name as Lua's luaO_chunkid prints an "@name" source */
static void ex_set_name(ex_ctx *c, const char *chunk) {
    size_t n = strlen(chunk), room = LUA_IDSIZE - 1;
    if (n <= room) snprintf(c->name, sizeof c->name, "%s", chunk);
    else snprintf(c->name, sizeof c->name, "...%s", chunk + n - (room - 3));
}

static int ex_last_line(const char *src, size_t len) {
    int line = 1;
    for (size_t i = 0; i < len; i++)
        if (src[i] == '\n' && i + 1 < len) line++;
    return line;
}

/* validation errors "line N: what" -> "<chunk>:N: what" */
static int ex_validate(ex_ctx *c) {
    if (va_validate(&c->model) == 0) return 0;
    const char *e = ut_error();
    int line, off = 0;
    if (sscanf(e, "line %d: %n", &line, &off) == 1 && off > 0) return ut_fail("%s:%d: %s", c->name, line, e + off);
    return ut_fail("%s: %s", c->name, e);
}

/* validation under the geometry budget: b (begun here, left current), the thread's current one,
   or one of the limits' own for the validation alone; a budget stop is an EX_LIMIT outcome */
static int ex_validate_budget(ex_ctx *c, bg_budget *b, ex_outcome *outcome) {
    bg_budget own;
    int mine = !b && !bg_current();
    if (b || mine) bg_begin(b ? b : &own, &c->lim.geometry);
    int rc = ex_validate(c);
    if (rc != 0 && bg_exceeded()) *outcome = EX_LIMIT;
    if (mine) bg_end(&own);
    return rc;
}

int ex_run_stats(const char *src, size_t len, const char *chunkname, const ex_limits *lim, cad_model *out,
                 ex_stats *st) {
    return ex_run_budget(src, len, chunkname, lim, out, st, NULL);
}

int ex_run_budget(const char *src, size_t len, const char *chunkname, const ex_limits *lim, cad_model *out,
                  ex_stats *st, bg_budget *b) {
    ex_ctx c;
    memset(&c, 0, sizeof c);
    if (lim) c.lim = *lim;
    else ex_default_limits(&c.lim);
    if (c.lim.max_instructions <= 0 || c.lim.max_memory == 0 || c.lim.max_curves <= 0 || c.lim.max_extrudes <= 0) {
        if (b) bg_begin(b, &c.lim.geometry);
        return ut_fail("ex_run: limits must be positive");
    }
    if (!chunkname || !*chunkname) chunkname = "program";
    ex_set_name(&c, chunkname);
    cad_init(&c.model);
    c.t0 = ut_now();
    int rc = -1, loading = 0;
    ex_outcome outcome = EX_INVALID;
    lua_State *L = lua_newstate(ex_alloc, &c);
    if (!L) {
        if (b) bg_begin(b, &c.lim.geometry);
        ut_fail("%s: memory limit of %g MB is too small to start", c.name, (double)c.lim.max_memory / (1 << 20));
        outcome = EX_LIMIT;
        goto done;
    }
    lua_pushcfunction(L, ex_setup);
    int status = lua_pcall(L, 0, 0, 0);
    if (status == LUA_OK) {
        c.L = L;
        char *at = ut_malloc(strlen(chunkname) + 2);
        at[0] = '@';
        strcpy(at + 1, chunkname);
        lua_pushcfunction(L, ex_msgh);
        status = luaL_loadbufferx(L, src, len, at, "t");
        free(at);
        loading = status != LUA_OK;
        if (status == LUA_OK) {
            lua_sethook(L, ex_hook, LUA_MASKCOUNT, EX_HOOK_STEP);
            status = lua_pcall(L, 0, 0, 1);
        }
    }
    if (status != LUA_OK || c.model.nextrudes == 0) {
        if (b) bg_begin(b, &c.lim.geometry);
        if (status != LUA_OK) outcome = ex_fail_run(&c, L, status, loading);
        else ut_fail("%s:%d: the program made no Extrude call, so it builds no solid", c.name, ex_last_line(src, len));
    } else if (ex_validate_budget(&c, b, &outcome) == 0) rc = 0, outcome = EX_OK;
    /* finalizers run at close: make any Lua code there stop at its first instruction */
    if (!c.stop) ex_stop(&c, L, 1, 0);
    c.L = NULL;
    lua_close(L);
done:
    if (st) {
        st->instructions = c.steps < c.lim.max_instructions ? c.steps : c.lim.max_instructions;
        st->peak_memory = c.peak;
        st->seconds = ut_now() - c.t0;
        st->outcome = outcome;
    }
    if (rc == 0) *out = c.model;
    else cad_free(&c.model);
    return rc;
}

int ex_run(const char *src, size_t len, const char *chunkname, const ex_limits *lim, cad_model *out) {
    return ex_run_stats(src, len, chunkname, lim, out, NULL);
}

char *ex_read_program(const char *path, size_t *len) {
    struct stat sb;
    if (stat(path, &sb) < 0) {
        ut_fail("cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    if (!S_ISREG(sb.st_mode)) {
        ut_fail("%s is not a regular file", path);
        return NULL;
    }
    if (sb.st_size > EX_MAX_SOURCE) {
        ut_fail("%s is too large for a program (%lld bytes, limit %d)", path, (long long)sb.st_size, EX_MAX_SOURCE);
        return NULL;
    }
    return ut_read_file(path, len);
}

int ex_run_file(const char *path, const ex_limits *lim, cad_model *out) {
    size_t len;
    char *src = ex_read_program(path, &len);
    if (!src) return -1;
    int rc = ex_run(src, len, path, lim, out);
    free(src);
    return rc;
}
