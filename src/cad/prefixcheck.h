/* prefixcheck.h - is a program, written so far, still on its way to one that CADLib can run?
 * Prefix pfx_. The check behind name-checked decoding (infer/generate.h): the sampler asks it
 * about every token it draws for a program and draws another one when the answer is no.
 *
 *   pfx_append_ok(prog, len, tok, n, &why)  1: prog[0..len) followed by tok[0..n) may go on;
 *                                           0: tok writes something that cannot run; why says what
 *
 * It lexes Lua (names, numbers, strings, comments, brackets) over the whole text and judges only
 * what the new bytes complete or extend:
 *   - a name that is read must be declared before it: by `local a, b`, `local function f`,
 *     `function f(a, b)` (the function and its parameters), `for i = ...` / `for k, v in ...`;
 *     or be a Lua keyword or a global of the sandbox (cad/exec.h: CADLib's functions and planes,
 *     math, table, string and the safe base functions; pfx_globals lists them). Lua reads an
 *     undeclared name as nil and the program fails where it uses it ("argument 3 is not a number
 *     (got nil)"). A name still being written (it runs to the end of the text) must be the start
 *     of such a name. Not checked: fields (`math.rad`, `t:f`), names being declared, and table
 *     keys (`{sym = t}`: a name followed by `=` inside braces; `sym` is the only key CADLib reads).
 *     Scopes are not tracked: a name declared anywhere before counts (over-permissive, never
 *     over-strict for programs that run).
 *   - a call of a curve or a plane takes its exact count of arguments: Line 4, Arc 6, Circle 3,
 *     Plane 3; Extrude 2 or 3. A comma past the last one, or a `)` before it, is refused.
 *   - a closing bracket must match the innermost open one.
 * Inside strings and comments nothing is checked. The text before the new bytes is lexed but not
 * judged again: a repair may keep a prefix that holds mistakes of its own.
 * Cost: O(len + n) time, O(depth of brackets) memory (bounded: deeper than PFX_MAX_DEPTH is
 * refused as unreadable); thread-safe (no state).
 */
#ifndef RECAD_PREFIXCHECK_H
#define RECAD_PREFIXCHECK_H

#include <stddef.h>

#define PFX_MAX_DEPTH 64 /* brackets open at once */

int pfx_append_ok(const char *prog, size_t len, const char *tok, size_t n, const char **why);

/* the sandbox's global names the check accepts, NULL-terminated */
const char *const *pfx_globals(void);
/* Lua 5.4's reserved words, NULL-terminated (cad/params.c reads them too) */
const char *const *pfx_keywords(void);

#endif
