/* test_layers.c - scripts/check_layers.sh: the source layers depend one way. The script runs on a
 * small fake tree in a temporary folder and on the real src/. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tf.h"

/* writes root/rel (its folder made first) with the given text */
static void tl_write(const char *root, const char *rel, const char *text) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    char *slash = strrchr(path, '/');
    *slash = 0;
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", path);
    REQUIRE(system(cmd) == 0);
    *slash = '/';
    FILE *f = fopen(path, "w");
    REQUIRE(f);
    fputs(text, f);
    fclose(f);
}

/* a fake tree that keeps the rules: returns its src folder */
static const char *tl_fake_tree(void) {
    static char src[512];
    snprintf(src, sizeof src, "%s/src", tf_tmpdir());
    tl_write(src, "base/util.h", "#include <stdio.h>\n");
    tl_write(src, "cad/exec.h", "#include \"base/util.h\"\n#include \"geom/solid.h\"\n");
    tl_write(src, "geom/solid.h", "#include \"base/util.h\"\n");
    tl_write(src, "geom/x.c", "/* x */\n#include \"geom/solid.h\"\n  # include \"model/cad.h\"\n");
    tl_write(src, "model/cad.h", "#include \"base/util.h\"\n");
    tl_write(src, "train/train.c", "#include \"ml/nn.h\"\n#include \"data/import.h\"\n#include \"base/util.h\"\n");
    tl_write(src, "cli/main.c", "#include \"train/train.h\"\n#include \"eval/occt.h\"\n");
    return src;
}

/* runs the script on src -> exit status; its output in *out */
static int tl_check(const char *src, char **out) {
    char cmd[700];
    snprintf(cmd, sizeof cmd, "scripts/check_layers.sh '%s'", src);
    return tf_run_cmd(cmd, out);
}

static int tl_lines(const char *s) {
    int n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

TEST(layers_fake_tree_passes) {
    char *out = NULL;
    int rc = tl_check(tl_fake_tree(), &out);
    CHECK_MSG(rc == 0 && out[0] == 0, "exit %d: %s", rc, out);
    free(out);
}

TEST(layers_upward_include_is_named) {
    const char *src = tl_fake_tree();
    tl_write(src, "geom/x.c", "/* x */\n#include \"geom/solid.h\"\n#include \"cad/exec.h\"\n");
    char *out = NULL;
    int rc = tl_check(src, &out);
    CHECK_MSG(rc == 1, "exit %d: %s", rc, out);
    CHECK_MSG(strstr(out, "/src/geom/x.c:3: geom includes cad/exec.h (allowed: geom, base, model)\n"), "%s", out);
    CHECK_MSG(tl_lines(out) == 1, "%s", out);
    free(out);
}

TEST(layers_sideways_and_folderless_includes_fail) {
    const char *src = tl_fake_tree();
    tl_write(src, "ml/nn.h", "#include \"base/util.h\"\n#include \"data/import.h\"\n");
    tl_write(src, "base/plot.c", "#include \"util.h\"\n");
    char *out = NULL;
    int rc = tl_check(src, &out);
    CHECK_MSG(rc == 1, "exit %d: %s", rc, out);
    CHECK_MSG(strstr(out, "/src/ml/nn.h:2: ml includes data/import.h (allowed: ml, base)\n"), "%s", out);
    CHECK_MSG(strstr(out, "/src/base/plot.c:1: base includes util.h without its folder"), "%s", out);
    CHECK_MSG(tl_lines(out) == 2, "%s", out);
    free(out);
}

TEST(layers_unknown_folder_fails) {
    const char *src = tl_fake_tree();
    tl_write(src, "misc/y.c", "#include \"base/util.h\"\n");
    char *out = NULL;
    int rc = tl_check(src, &out);
    CHECK_MSG(rc == 1 && strstr(out, "/src/misc/y.c:1: folder misc is not a layer"), "exit %d: %s", rc, out);
    free(out);
}

TEST(layers_real_tree_passes) {
    char *out = NULL;
    int rc = tf_run_cmd("scripts/check_layers.sh", &out);
    CHECK_MSG(rc == 0 && out[0] == 0, "exit %d: %s", rc, out);
    free(out);
}
