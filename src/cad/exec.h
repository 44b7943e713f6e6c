/* exec.h - the sandboxed CADLib executor: runs a Lua 5.4 program and yields a CAD model.
 *
 * A CADLib program is plain Lua plus these functions (docs/cadlib.md is the full reference):
 *   Line(x1,y1, x2,y2)  Arc(x1,y1, xm,ym, x2,y2)  Circle(cx,cy, r)      curves, sketch coordinates
 *   Loop(c1, c2, ...)   Face(outer, hole1, ...)   Sketch(plane, f1, ...) containers
 *   XY  XZ  YZ  Plane({ox,oy,oz}, {xx,xy,xz}, {nx,ny,nz})                 planes (cad.h conventions)
 *   Extrude(sketch, extent, op)   extent: d | {d1, d2} | {sym = t};  op: "new" (default) | "join"
 *                                 | "cut" | "intersect"; the Extrude calls apply in order.
 * Units are millimetres. Values are typed handles (Lua userdata with locked metatables): a
 * program cannot forge them, and every argument is checked ("prog.lua:12: Loop: argument 2 is not
 * a curve (got number)"). Every model element records the program line that created it, so the
 * validation that follows the run (va_validate) reports problems as "prog.lua:12: ...".
 *
 * Sandbox: only the safe parts of the base library (assert error getmetatable ipairs next pairs
 * pcall rawequal rawget rawlen rawset select setmetatable tonumber tostring type; setmetatable refuses
 * __gc, whose finalizers would run outside the budget), math without random/randomseed,
 * table, and string without dump and without the pattern functions (find, match, gmatch, gsub:
 * their backtracking runs in C, outside the instruction budget). No io, os, require, package,
 * load, dofile, loadfile, debug, coroutine, print, collectgarbage, xpcall. Source only: binary chunks are
 * refused. Limits (ex_limits): an instruction budget (VM instructions, checked every
 * EX_HOOK_STEP), a memory cap (a custom lua_Alloc counts every byte the Lua state holds; the
 * handles live in Lua memory too), and a cap on curves per handle / in the model and on extrudes.
 * Exceeding a limit stops the program ("prog.lua:3: instruction budget of 10000000 exceeded",
 * "prog.lua:5: memory limit of 64 MB exceeded"); pcall inside the program cannot swallow a budget
 * stop. Numbers must be finite and within +-EX_MAX_COORD.
 *
 * Errors: -1 and ut_error() = "<chunkname>:<line>: <message>" (no line when none applies, e.g. a
 * syntax error reports its own). The model is only written on success.
 * Thread safety: every call owns its own Lua state; concurrent calls are fine.
 */
#ifndef RECAD_EXEC_H
#define RECAD_EXEC_H

#include <stddef.h>

#include "base/budget.h"
#include "model/cad.h"

#define EX_HOOK_STEP 1000   /* the instruction budget is checked every this many VM instructions */
#define EX_MAX_COORD 1e6    /* |coordinate|, |radius| and |extent| limit, mm */
#define EX_MAX_SOURCE (16 << 20) /* largest program file ex_read_program accepts, bytes */

typedef struct {
    long max_instructions; /* VM instruction budget (default 10,000,000) */
    size_t max_memory;     /* bytes the Lua state may hold (default 64 MiB) */
    double max_seconds;    /* wall-clock backstop, checked with the budget (default 5; 0 = none) */
    int max_curves;        /* curves in one handle and in the final model (default 10,000) */
    int max_extrudes;      /* Extrude calls (default 1,000) */
    bg_limits geometry;    /* the geometry budget after the program (base/budget.h; default 25000000 units, 5 s,
                              BG_DEFAULT_WORK units): validation, and the caller's work with
                              ex_run_budget */
} ex_limits;

/* how a run ended (ex_stats.outcome) */
typedef enum {
    EX_OK = 0,      /* a validated model */
    EX_SYNTAX = 1,  /* the source does not compile (or is a binary chunk) */
    EX_RUNTIME = 2, /* an error raised while the program ran */
    EX_LIMIT = 3,   /* the instruction budget, the time limit, the memory cap or the geometry
                       budget (validation) stopped it */
    EX_INVALID = 4  /* it ran, but made no Extrude call or its model fails validation */
} ex_outcome;

typedef struct {
    long instructions;  /* budget charged: VM instructions in whole EX_HOOK_STEPs, plus the
                           allocation and C-library charges (see docs/cadlib.md, Limits) */
    size_t peak_memory; /* largest number of bytes the Lua state held */
    double seconds;     /* wall time of the whole call, validation included */
    ex_outcome outcome; /* how it ended */
} ex_stats;

void ex_default_limits(ex_limits *lim);

/* Runs src[0..len) (need not be NUL-terminated) named chunkname in error messages; lim NULL =
 * defaults. On success *out is a new validated model (free it with cad_free) and 0 is returned;
 * on failure -1 + ut_error() and *out is left untouched. */
int ex_run(const char *src, size_t len, const char *chunkname, const ex_limits *lim, cad_model *out);
/* the same, also reporting what the run used and how it ended (st may be NULL; filled on failure
 * too, except when lim itself is invalid) */
int ex_run_stats(const char *src, size_t len, const char *chunkname, const ex_limits *lim, cad_model *out,
                 ex_stats *st);
/* the same, with one geometry budget for everything after the program: b is begun (with
 * lim->geometry) when the program's Lua phase ends, validation runs under it, and it stays this
 * thread's current budget when the call returns (success or failure) so that the caller's solid,
 * mesh and metric work shares it; the caller ends it with bg_end(b). A validation stopped by the
 * budget fails with outcome EX_LIMIT and "<chunk>: validation exceeded the geometry budget (25000000 work units)".
 * Without b (ex_run, ex_run_stats) validation charges the thread's current budget, or when none is
 * current a budget of lim->geometry of its own. */
int ex_run_budget(const char *src, size_t len, const char *chunkname, const ex_limits *lim, cad_model *out,
                  ex_stats *st, bg_budget *b);
/* reads the file (chunkname = path) and runs it */
int ex_run_file(const char *path, const ex_limits *lim, cad_model *out);
/* reads a program file: a regular file of at most EX_MAX_SOURCE bytes (NUL-terminated copy;
 * free it). NULL + ut_error() otherwise. */
char *ex_read_program(const char *path, size_t *len);

#endif
