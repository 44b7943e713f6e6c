/* api.h - the JSON endpoints of the web page, independent of HTTP (server.h routes to them).
 *
 * Every call takes the request body (JSON text, need not be NUL-terminated) and fills a wa_reply:
 * an HTTP status, a content type and the body bytes. Errors are JSON objects
 *   {"error": "<message>"}                          400 malformed JSON / missing field, 503 ...
 *   {"error": "program:12: <message>", "line": 12}  422 a program that fails (syntax, runtime,
 *                                                       budget, validation, meshing)
 * the line being parsed from the executor's "<chunk>:<line>: ..." (absent when none applies).
 *
 *   wa_execute  {"program": TEXT, "sheet": false, "mesh": true}
 *       -> 200 {"level": "F", "volume": mm^3, "bbox": {"min": [x,y,z], "max": [x,y,z]},
 *               "triangles": n, "params": [PARAM...], "ms": {"exec","mesh","total"},
 *               "mesh": {"positions": [x,y,z, ...] (mm, float precision), "indices": [a,b,c, ...]
 *                        (counter-clockwise from outside), "edges": [a,b, ...] (feature edges:
 *                        dihedral angle above WA_EDGE_DEG, as pairs of position indices)},
 *               "sheet": "data:image/png;base64,..." (the 2x2 render sheet, when asked)}
 *       a failing program still gets its "params", beside "error" and "line".
 *       PARAM = {"name","value","line","col","len","decimals","min","max","step"} (cad/params.h;
 *       col in UTF-16 units, len = length of the literal's text).
 *   wa_params   {"program": TEXT} -> 200 {"params": [PARAM...]} (no execution)
 *   wa_export   {"program": TEXT, "format": "stl" | "obj" | "step" | "lua"}
 *       -> 200 the file (binary STL, OBJ text, STEP through OpenCASCADE, or the program itself),
 *          with a file name for Content-Disposition; STEP without occt-draw -> 503 naming it.
 *   wa_generate {"prompt": TEXT, "image": "data:image/...;base64,..."} (either or both)
 *       -> 200 {"program": TEXT} from the generation callback, 503 {"error": "no generation
 *          model loaded"} without one, 422 with the callback's error.
 *
 * Programs run in the sandbox (cad/exec.h) with the limits of wa_config; a body larger than
 * max_body is the server's concern (413) and never reaches these functions.
 * Thread safety: calls are independent; a wa_config is read-only while calls run; the
 * generation callback may be called from several threads at once.
 */
#ifndef RECAD_WEB_API_H
#define RECAD_WEB_API_H

#include <stddef.h>

#include "cad/exec.h"

#define WA_EDGE_DEG 30.0   /* feature edge: the two triangles' normals differ by more than this */
#define WA_SHEET_SIDE 256  /* each view of the render sheet, pixels (the sheet is twice that) */

/* maps a prompt and/or an image (either may be NULL / 0) to a program: 0 and *program (malloc'd,
 * NUL-terminated; the server frees it), or -1 + ut_error() */
typedef int (*wa_generate_fn)(void *ctx, const char *prompt, const unsigned char *image, size_t image_len,
                              char **program);

typedef struct {
    ex_limits limits;         /* the sandbox of every program */
    double step_timeout_s;    /* occt-draw time limit for STEP export */
    wa_generate_fn generate;  /* NULL: /api/generate answers 503 "no generation model loaded" */
    void *generate_ctx;
} wa_config;

typedef struct {
    int status;            /* HTTP status */
    const char *type;      /* Content-Type (static string) */
    unsigned char *body;   /* malloc'd */
    size_t len;
    char filename[64];     /* "" or a download name ("part.stl") */
} wa_reply;

/* server defaults: the executor's limits with 2 s of wall time, at most 64 extrudes and 5,000
 * curves (the meshing that follows stays well under a second), STEP timeout 30 s, no generator */
void wa_default_config(wa_config *c);

void wa_execute(const wa_config *c, const char *body, size_t len, wa_reply *r);
void wa_params(const wa_config *c, const char *body, size_t len, wa_reply *r);
void wa_export(const wa_config *c, const char *body, size_t len, wa_reply *r);
void wa_generate(const wa_config *c, const char *body, size_t len, wa_reply *r);

/* a JSON error reply {"error": message} (plus "line" when line > 0) with this status */
void wa_error(wa_reply *r, int status, int line, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void wa_reply_free(wa_reply *r);

/* the line number of an executor error "<chunk>:<line>: ..." (chunk "program"), 0 if none */
int wa_error_line(const char *msg);

#endif
