/* ckpt.c - checkpoint folders: atomic publication, `latest`, rotation, resume (see ckpt.h). */
#include "train/ckpt.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"

#define CK_PATH 4096

/* the step of a folder name "step-" + at least 8 digits (+ ".tmp" when tmp); -1 otherwise */
static long ck_parse_name(const char *name, int tmp) {
    if (strncmp(name, "step-", 5)) return -1;
    const char *p = name + 5;
    size_t nd = 0;
    while (isdigit((unsigned char)p[nd])) nd++;
    if (nd < 8 || nd > 18) return -1;
    if (strcmp(p + nd, tmp ? ".tmp" : "")) return -1;
    return strtol(p, NULL, 10);
}

/* OUT/step-NNNNNNNN followed by suffix ("" or ".tmp") */
static int ck_path(const char *out, long step, const char *suffix, char *dir, size_t n) {
    int len = snprintf(dir, n, "%s/step-%08ld%s", out, step, suffix);
    if (len < 0 || (size_t)len >= n) return ut_fail("%s: checkpoint path too long", out);
    return 0;
}

int ck_dir(const char *out, long step, char *dir, size_t n) { return ck_path(out, step, "", dir, n); }

static int ck_tmp_dir(const char *out, long step, char *dir, size_t n) { return ck_path(out, step, ".tmp", dir, n); }

/* ------------------------------------------------------------------ removing folders */

static int ck_remove_entries(const char *path) {
    DIR *dp = opendir(path);
    if (!dp) return ut_fail("cannot open folder %s: %s", path, strerror(errno));
    int rc = 0;
    struct dirent *e;
    char sub[CK_PATH];
    while (!rc && (e = readdir(dp))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        int len = snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
        if (len < 0 || (size_t)len >= sizeof sub) rc = ut_fail("%s: path too long", path);
        else rc = ck_remove_tree(sub);
    }
    closedir(dp);
    return rc;
}

int ck_remove_tree(const char *path) {
    struct stat st;
    if (lstat(path, &st)) return errno == ENOENT ? 0 : ut_fail("cannot read %s: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode)) {
        if (ck_remove_entries(path)) return -1;
        if (rmdir(path)) return ut_fail("cannot remove folder %s: %s", path, strerror(errno));
        return 0;
    }
    if (unlink(path)) return ut_fail("cannot remove %s: %s", path, strerror(errno));
    return 0;
}

/* ------------------------------------------------------------------ listing */

static int ck_cmp_long(const void *a, const void *b) {
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

/* steps of the folders of out named step-N (tmp = 0) or step-N.tmp (tmp = 1), ascending */
static int ck_scan(const char *out, int tmp, long **steps, int *n) {
    *steps = NULL;
    *n = 0;
    DIR *dp = opendir(out);
    if (!dp) return errno == ENOENT ? 0 : ut_fail("cannot open folder %s: %s", out, strerror(errno));
    int cap = 0;
    struct dirent *e;
    char path[CK_PATH];
    while ((e = readdir(dp))) {
        long s = ck_parse_name(e->d_name, tmp);
        snprintf(path, sizeof path, "%s/%s", out, e->d_name);
        if (s >= 0 && ut_is_dir(path)) *UT_PUSH(*steps, *n, cap) = s;
    }
    closedir(dp);
    if (*n > 1) qsort(*steps, (size_t)*n, sizeof **steps, ck_cmp_long);
    return 0;
}

int ck_list(const char *out, long **steps, int *n) { return ck_scan(out, 0, steps, n); }

/* ------------------------------------------------------------------ writing */

static void ck_sync_dir(const char *dir) {
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0) return;
    fsync(fd); /* some file systems refuse fsync on folders; the rename is done either way */
    close(fd);
}

int ck_begin(const char *out, long step, char *tmp, size_t n) {
    if (step < 0) return ut_fail("%s: negative checkpoint step %ld", out, step);
    if (ut_mkdirs(out) || ck_tmp_dir(out, step, tmp, n)) return -1;
    if (ck_remove_tree(tmp)) return -1;
    if (mkdir(tmp, 0755)) return ut_fail("cannot create folder %s: %s", tmp, strerror(errno));
    return 0;
}

void ck_abort(const char *out, long step) {
    char tmp[CK_PATH], why[1024];
    snprintf(why, sizeof why, "%s", ut_error()); /* the error that made the caller give up */
    if (ck_tmp_dir(out, step, tmp, sizeof tmp) == 0) ck_remove_tree(tmp);
    ut_fail("%s", why);
}

/* removes the step folders that rotation does not keep and every stale .tmp folder (best effort:
 * a folder that cannot be removed stays and does not fail the commit) */
static void ck_rotate(const char *out, long step, int keep) {
    long *steps = NULL;
    int n = 0;
    char dir[CK_PATH];
    if (keep > 0 && ck_list(out, &steps, &n) == 0) {
        int kept = 0; /* checkpoints at or below `step`, newest first */
        for (int i = n - 1; i >= 0; i--) {
            int drop = steps[i] > step || kept == keep;
            if (!drop) kept++;
            if (drop && ck_dir(out, steps[i], dir, sizeof dir) == 0) ck_remove_tree(dir);
        }
    }
    free(steps);
    if (ck_scan(out, 1, &steps, &n) == 0)
        for (int i = 0; i < n; i++)
            if (ck_tmp_dir(out, steps[i], dir, sizeof dir) == 0) ck_remove_tree(dir);
    free(steps);
}

int ck_commit(const char *out, long step, int keep) {
    char tmp[CK_PATH], dir[CK_PATH], path[CK_PATH + 16];
    if (ck_tmp_dir(out, step, tmp, sizeof tmp) || ck_dir(out, step, dir, sizeof dir)) return -1;
    if (!ut_is_dir(tmp)) return ut_fail("%s: no checkpoint being written (ck_begin not called?)", tmp);
    if (ck_remove_tree(dir)) return -1;
    if (rename(tmp, dir)) return ut_fail("cannot rename %s to %s: %s", tmp, dir, strerror(errno));
    ck_sync_dir(out);
    /* the pointer is written last: a crash before this line leaves the previous checkpoint */
    const char *name = strrchr(dir, '/') + 1;
    snprintf(path, sizeof path, "%s/latest", out);
    if (ut_write_atomic(path, name, strlen(name))) return -1;
    ck_rotate(out, step, keep);
    return 0;
}

/* ------------------------------------------------------------------ resuming */

/* the step named by OUT/latest; 1 when there is no such file */
static int ck_read_latest(const char *out, long *step) {
    char path[CK_PATH + 16];
    snprintf(path, sizeof path, "%s/latest", out);
    if (access(path, F_OK) != 0) return 1;
    size_t len = 0;
    char *s = ut_read_file(path, &len);
    if (!s) return -1;
    while (len > 0 && isspace((unsigned char)s[len - 1])) s[--len] = 0;
    *step = strlen(s) == len ? ck_parse_name(s, 0) : -1;
    if (*step < 0) {
        for (size_t i = 0; i < len; i++)
            if (!isprint((unsigned char)s[i])) s[i] = '?';
        ut_fail("%s: \"%.40s%s\" is not a checkpoint folder name (corrupt file?)", path, s, len > 40 ? "..." : "");
    }
    free(s);
    return *step < 0 ? -1 : 0;
}

static int ck_check_files(const char *dir, const char *const *required) {
    char path[CK_PATH + 256];
    for (int i = 0; required && required[i]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, required[i]);
        if (access(path, R_OK) != 0) return ut_fail("checkpoint %s is incomplete: %s is missing", dir, required[i]);
    }
    return 0;
}

int ck_latest(const char *out, const char *const *required, char *dir, size_t n, long *step) {
    int r = ck_read_latest(out, step);
    if (r < 0) return -1;
    if (r == 1) {
        long *steps = NULL;
        int ns = 0;
        if (ck_list(out, &steps, &ns)) return -1;
        *step = ns ? steps[ns - 1] : -1;
        free(steps);
        if (!ns) return 1;
    }
    if (ck_dir(out, *step, dir, n)) return -1;
    if (!ut_is_dir(dir)) return ut_fail("%s/latest names %s, which does not exist", out, strrchr(dir, '/') + 1);
    return ck_check_files(dir, required);
}

/* ------------------------------------------------------------------ state files */

int ck_write_json(const char *dir, const char *name, const cJSON *j) {
    char path[CK_PATH + 256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *s = cJSON_Print(j);
    if (!s) return ut_fail("%s: cannot format JSON", path);
    int rc = ut_write_atomic(path, s, strlen(s));
    free(s);
    return rc;
}

cJSON *ck_read_json(const char *dir, const char *name) {
    char path[CK_PATH + 256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *s = ut_read_file(path, NULL);
    if (!s) return NULL;
    cJSON *j = cJSON_Parse(s);
    free(s);
    if (!j) ut_fail("%s: not valid JSON", path);
    return j;
}
