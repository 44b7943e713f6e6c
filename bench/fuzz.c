/* fuzz.c - the large fuzz run: `make fuzz N=5000` (or build/bench/fuzz [N] [SEED0]).
 *
 * Runs N random programs (fz_program, seeds SEED0 .. SEED0+N-1) and N JSON mutants of the shared
 * DeepCAD / Fusion 360 / Text2CAD files (fz_mutate_json, the same seeds), each in a child process
 * so that a crash or a hang is counted and the run goes on (a child is killed after 30 s). Every
 * case runs under the default geometry work limit with a 1.5 s deadline and must pass the checks
 * of eval/fuzz.h; the summary counts outcomes, crashes, runs over
 * FZ_MAX_SECONDS, meshes whose volume is off by more than FZ_MESH_REL (written anyway, not
 * refused) and other failed checks, and lists the seeds of every failure. Exit 0 only if there
 * was no crash, no slow run and no failed check.
 */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/util.h"
#include "eval/fuzz.h"

#define FZB_KILL_S 30
#define FZB_DEADLINE 1.5 /* geometry budget deadline of each case, seconds */

typedef struct {
    fz_result r;
    int done;
} fzb_msg;

/* the JSON files under the shared data folder */
static int fzb_files(const char *dir, char ***v, int *n, int *cap) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char p[1024];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        size_t l = strlen(p);
        if (ut_is_dir(p)) fzb_files(p, v, n, cap);
        else if (l > 5 && !strcmp(p + l - 5, ".json")) *UT_PUSH(*v, *n, *cap) = ut_strdup(p);
    }
    closedir(d);
    return 0;
}

static int fzb_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* one case in a child: 0 and *m filled, or the child's fate (1 crash, 2 killed) */
static int fzb_case(int json, uint64_t seed, const char *text, fzb_msg *m) {
    int fd[2];
    if (pipe(fd) != 0) return 1;
    pid_t pid = fork();
    if (pid == 0) {
        close(fd[0]);
        alarm(FZB_KILL_S);
        fzb_msg msg;
        memset(&msg, 0, sizeof msg);
        char *src = json ? fz_mutate_json(text, seed) : fz_program(seed, 0);
        bg_limits lim; /* the default work limit, and a deadline that leaves room under FZ_MAX_SECONDS */
        bg_default_limits(&lim);
        lim.max_seconds = FZB_DEADLINE;
        if (json) fz_check_json(src, "mutant", &lim, 0, &msg.r);
        else fz_check_program(src, "fuzz", &lim, 0, &msg.r);
        msg.done = 1;
        if (write(fd[1], &msg, sizeof msg) != (ssize_t)sizeof msg) _exit(3);
        _exit(0);
    }
    close(fd[1]);
    memset(m, 0, sizeof *m);
    ssize_t got = read(fd[0], m, sizeof *m);
    close(fd[0]);
    int st = 0;
    waitpid(pid, &st, 0);
    if (got == (ssize_t)sizeof *m && m->done) return 0;
    return WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM ? 2 : 1;
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 5000;
    uint64_t seed0 = argc > 2 ? strtoull(argv[2], NULL, 10) : 1;
    const char *shared = getenv("RECAD_SHARED") ? getenv("RECAD_SHARED") : "../shared";
    char **files = NULL, dir[1024];
    int nf = 0, capf = 0;
    snprintf(dir, sizeof dir, "%s/data", shared);
    fzb_files(dir, &files, &nf, &capf);
    if (nf > 0) qsort(files, (size_t)nf, sizeof *files, fzb_cmp);
    const char *kind[2] = {"program", "mutant"};
    long count[2][4] = {{0}}, crash[2] = {0}, slow[2] = {0}, off[2] = {0}, failed[2] = {0}, mesh_refused[2] = {0};
    double maxs[2] = {0};
    double t0 = ut_now();
    for (int json = 0; json < 2; json++) {
        if (json && nf == 0) {
            printf("no JSON files under %s: mutants skipped\n", dir);
            break;
        }
        for (long i = 0; i < n; i++) {
            uint64_t seed = seed0 + (uint64_t)i;
            char *text = NULL;
            if (json) text = ut_read_file(files[i % nf], NULL);
            fzb_msg m;
            int fate = fzb_case(json, seed, text, &m);
            if (fate) {
                crash[json] += fate == 1, slow[json] += fate == 2;
                printf("%s seed %llu%s%s: %s\n", kind[json], (unsigned long long)seed, json ? " of " : "", json ? files[i % nf] : "",
                       fate == 1 ? "CRASH" : "killed after 30 s");
            } else {
                count[json][m.r.outcome]++;
                mesh_refused[json] += m.r.mesh_refused;
                if (m.r.seconds > maxs[json]) maxs[json] = m.r.seconds;
                if (m.r.outcome == FZ_FAIL) {
                    if (m.r.mesh_off) off[json]++;
                    else if (m.r.seconds > FZ_MAX_SECONDS) slow[json]++;
                    else failed[json]++;
                    printf("%s seed %llu%s%s: %s\n", kind[json], (unsigned long long)seed, json ? " of " : "",
                           json ? files[i % nf] : "", m.r.fail);
                }
            }
            free(text);
            fflush(stdout);
        }
    }
    printf("\n%-8s %6s %8s %6s %7s %6s %6s %9s %9s %7s %9s\n", "kind", "cases", "refused", "ok", "budget", "crash", "slow",
           "mesh-off", "mesh-refd", "other", "max s");
    for (int json = 0; json < 2; json++)
        printf("%-8s %6ld %8ld %6ld %7ld %6ld %6ld %9ld %9ld %7ld %9.2f\n", kind[json], n, count[json][FZ_REFUSED],
               count[json][FZ_OK], count[json][FZ_BUDGET], crash[json], slow[json], off[json], mesh_refused[json], failed[json],
               maxs[json]);
    printf("%.1f s in all\n", ut_now() - t0);
    for (int i = 0; i < nf; i++) free(files[i]);
    free(files);
    return crash[0] + crash[1] + slow[0] + slow[1] + off[0] + off[1] + failed[0] + failed[1] ? 1 : 0;
}
