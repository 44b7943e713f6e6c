/* tf.h - the test framework: tests register themselves, tests/main.c runs them.
 *
 *   TEST(solid_box_volume) { CHECK_NEAR(vol, 24.0, 1e-9); }
 *
 * Every tests/ *.c file is linked into build/test_recad. Each test runs in its own forked process
 * (a crash or a hang fails that test only, with a 300 s limit); `build/test_recad FILTER` runs the
 * tests whose name or file contains FILTER (TF_NOFORK=1 runs them in the runner's process, for a
 * debugger). The runner ends with the line "N passed, N failed, N skipped".
 * CHECK* record a failure and go on; REQUIRE* stop the test.
 * SKIP("no %s", what) ends a test that lacks something it needs (a reference tool, a Python
 * module): the runner lists it as "skipped: <reason>", counts it apart and does not fail the run.
 * A test that recorded a failure before SKIP still fails.
 * Tests run from the repository root; tf_shared() is the path of the shared data folder
 * ($RECAD_SHARED, default ../shared).
 */
#ifndef RECAD_TF_H
#define RECAD_TF_H

#include <math.h>
#include <stdio.h>

typedef void (*tf_fn)(void);
void tf_register(const char *name, tf_fn fn, const char *file);
void tf_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void tf_stop(void) __attribute__((noreturn));
void tf_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
const char *tf_shared(void);            /* "../shared" or $RECAD_SHARED */
const char *tf_tmpdir(void);            /* a fresh temporary folder for this test */
int tf_run_cmd(const char *cmd, char **out); /* runs a shell command; stdout+stderr in *out (free it); returns exit code */

#define TEST(name)                                                                        \
    static void name(void);                                                               \
    __attribute__((constructor)) static void name##_register(void) { tf_register(#name, name, __FILE__); } \
    static void name(void)

#define CHECK(c) ((c) ? (void)0 : tf_fail(__FILE__, __LINE__, "CHECK(%s)", #c))
#define REQUIRE(c) ((c) ? (void)0 : (tf_fail(__FILE__, __LINE__, "REQUIRE(%s)", #c), tf_stop()))
#define SKIP(...) tf_skip(__VA_ARGS__)
#define CHECK_MSG(c, ...) ((c) ? (void)0 : tf_fail(__FILE__, __LINE__, __VA_ARGS__))
#define REQUIRE_MSG(c, ...) ((c) ? (void)0 : (tf_fail(__FILE__, __LINE__, __VA_ARGS__), tf_stop()))
/* |a-b| <= tol */
#define CHECK_NEAR(a, b, tol)                                                             \
    do {                                                                                  \
        double tf_a_ = (double)(a), tf_b_ = (double)(b), tf_t_ = (double)(tol);           \
        if (!(fabs(tf_a_ - tf_b_) <= tf_t_))                                              \
            tf_fail(__FILE__, __LINE__, "CHECK_NEAR(%s, %s): %.17g vs %.17g (diff %.3g > %.3g)", #a, #b, tf_a_, tf_b_, \
                    fabs(tf_a_ - tf_b_), tf_t_);                                          \
    } while (0)
/* |a-b| <= rel * max(|b|, tiny) */
#define CHECK_REL(a, b, rel)                                                              \
    do {                                                                                  \
        double tf_a_ = (double)(a), tf_b_ = (double)(b), tf_r_ = (double)(rel);           \
        double tf_s_ = fabs(tf_b_) > 1e-300 ? fabs(tf_b_) : 1e-300;                       \
        if (!(fabs(tf_a_ - tf_b_) <= tf_r_ * tf_s_))                                      \
            tf_fail(__FILE__, __LINE__, "CHECK_REL(%s, %s): %.17g vs %.17g (rel %.3g > %.3g)", #a, #b, tf_a_, tf_b_, \
                    fabs(tf_a_ - tf_b_) / tf_s_, tf_r_);                                  \
    } while (0)

#endif
