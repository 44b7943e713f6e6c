/* main.c - the test runner (see tf.h). */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tf.h"
#include "base/util.h"

typedef struct {
    const char *name, *file;
    tf_fn fn;
} tf_test;

static tf_test *tf_tests;
static int tf_ntests, tf_cap;
static int tf_failures;
static char tf_tmp[256];

/* a skipped test's child exits with this status; its reason travels in tf_reason, a page shared
 * with the forked children */
enum { TF_SKIP_STATUS = 77, TF_REASON_LEN = 512 };
static char *tf_reason;
static jmp_buf tf_jump; /* tf_skip returns here, to tf_run_here */

void tf_register(const char *name, tf_fn fn, const char *file) {
    tf_test *t = UT_PUSH(tf_tests, tf_ntests, tf_cap);
    t->name = name;
    t->fn = fn;
    t->file = file;
}

void tf_fail(const char *file, int line, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "    %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    tf_failures++;
}

void tf_stop(void) { exit(1); }

void tf_skip(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tf_reason, TF_REASON_LEN, fmt, ap);
    va_end(ap);
    if (!tf_reason[0]) snprintf(tf_reason, TF_REASON_LEN, "(no reason given)");
    longjmp(tf_jump, 1);
}

const char *tf_shared(void) {
    const char *s = getenv("RECAD_SHARED");
    return s && *s ? s : "../shared";
}

const char *tf_tmpdir(void) {
    if (!tf_tmp[0]) {
        snprintf(tf_tmp, sizeof tf_tmp, "/tmp/recad-test-XXXXXX");
        if (!mkdtemp(tf_tmp)) {
            perror("mkdtemp");
            exit(1);
        }
    }
    return tf_tmp;
}

int tf_run_cmd(const char *cmd, char **out) {
    char full[8192];
    snprintf(full, sizeof full, "(%s) 2>&1", cmd);
    FILE *p = popen(full, "r");
    if (!p) return -1;
    size_t cap = 4096, n = 0;
    char *buf = ut_malloc(cap);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n - 1, p)) > 0) {
        n += got;
        if (n + 1 >= cap) buf = ut_realloc(buf, cap *= 2);
    }
    buf[n] = 0;
    int st = pclose(p);
    if (out) *out = buf;
    else free(buf);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

static int tf_cmp(const void *a, const void *b) {
    const tf_test *x = a, *y = b;
    int c = strcmp(x->file, y->file);
    return c ? c : strcmp(x->name, y->name);
}

/* runs one test in this process -> 0 passed, 1 failed, TF_SKIP_STATUS skipped (tf_reason says why) */
static int tf_run_here(const tf_test *t) {
    tf_failures = 0;
    tf_reason[0] = 0;
    if (setjmp(tf_jump) == 0) {
        t->fn();
        return tf_failures ? 1 : 0;
    }
    if (tf_failures) {
        fprintf(stderr, "    skipped after a failure (%s): the test fails\n", tf_reason);
        tf_reason[0] = 0;
        return 1;
    }
    return TF_SKIP_STATUS;
}

/* runs one test in a forked child with a 300 s limit; the child removes its temporary folder */
static int tf_run_forked(const tf_test *t) {
    fflush(stdout);
    fflush(stderr);
    tf_reason[0] = 0;
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 1;
    }
    if (pid == 0) {
        alarm(300);
        tf_tmp[0] = 0;
        int r = tf_run_here(t);
        if (tf_tmp[0]) {
            char cmd[300];
            snprintf(cmd, sizeof cmd, "rm -rf '%s'", tf_tmp);
            if (system(cmd) != 0) fprintf(stderr, "    could not remove %s\n", tf_tmp);
        }
        fflush(stdout);
        _exit(r);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    if (WIFSIGNALED(st)) fprintf(stderr, "    killed by signal %d (%s)\n", WTERMSIG(st), strsignal(WTERMSIG(st)));
    if (!WIFEXITED(st)) return 1;
    int code = WEXITSTATUS(st);
    if (code == TF_SKIP_STATUS && tf_reason[0]) return TF_SKIP_STATUS;
    return code == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
    int nofork = getenv("TF_NOFORK") != NULL;
    tf_reason = mmap(NULL, TF_REASON_LEN, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (tf_reason == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    qsort(tf_tests, (size_t)tf_ntests, sizeof *tf_tests, tf_cmp);
    int passed = 0, failed = 0, skipped = 0;
    double t_all = ut_now();
    for (int i = 0; i < tf_ntests; i++) {
        tf_test *t = &tf_tests[i];
        int match = argc < 2;
        for (int a = 1; a < argc; a++)
            if (strstr(t->name, argv[a]) || strstr(t->file, argv[a])) match = 1;
        if (!match) continue;
        double t0 = ut_now();
        int r = nofork ? tf_run_here(t) : tf_run_forked(t);
        const char *word = r == 0 ? "ok  " : r == TF_SKIP_STATUS ? "skip" : "FAIL";
        printf("%s %-52s %7.2fs  (%s)", word, t->name, ut_now() - t0, t->file);
        if (r == TF_SKIP_STATUS) printf("  skipped: %s", tf_reason);
        printf("\n");
        fflush(stdout);
        if (r == 0) passed++;
        else if (r == TF_SKIP_STATUS) skipped++;
        else failed++;
    }
    printf("\ntotal time %.1fs\n%d passed, %d failed, %d skipped\n", ut_now() - t_all, passed, failed, skipped);
    return failed ? 1 : 0;
}
