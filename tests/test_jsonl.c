/* test_jsonl.c - data/jsonl.h: records line by line, blank lines, file:line errors, field helpers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "data/jsonl.h"
#include "tf.h"

/* writes text (len bytes) to a file of the test folder; returns its path */
static const char *jl_file(const char *name, const char *text, size_t len) {
    static char path[600];
    snprintf(path, sizeof path, "%s/%s", tf_tmpdir(), name);
    REQUIRE(ut_write_atomic(path, text, len) == 0);
    return path;
}

/* reads every record; returns jl_next's final result and the count in *n */
static int jl_count(const char *path, size_t max_line, int *n) {
    jl_reader r;
    *n = 0;
    if (jl_open(&r, path, max_line)) return -2;
    cJSON *rec;
    int rc;
    while ((rc = jl_next(&r, &rec)) == 1) (*n)++;
    jl_close(&r);
    return rc;
}

TEST(jsonl_reads_records_and_skips_blank_lines) {
    const char *text = "\xEF\xBB\xBF{\"a\": \"x\", \"n\": 2}\n"
                       "\n"
                       "   \t\r\n"
                       "{\"a\": \"y\", \"n\": -1.5, \"z\": null}\r\n"
                       "[1, 2]\n"
                       "{\"a\": \"last, no newline\"}";
    const char *path = jl_file("good.jsonl", text, strlen(text));
    jl_reader r;
    REQUIRE(jl_open(&r, path, 0) == 0);
    cJSON *rec;
    const char *s;
    double v;
    REQUIRE(jl_next(&r, &rec) == 1);
    CHECK(r.line == 1);
    CHECK(jl_str(&r, rec, "a", &s) == 0 && !strcmp(s, "x"));
    CHECK(jl_num(&r, rec, "n", &v) == 0 && v == 2);
    REQUIRE(jl_next(&r, &rec) == 1);
    CHECK(r.line == 4); /* lines 2 and 3 are blank */
    CHECK(jl_str(&r, rec, "a", &s) == 0 && !strcmp(s, "y"));
    CHECK(jl_num(&r, rec, "n", &v) == 0 && v == -1.5);
    /* optional fields: absent or null give the default, present ones their value */
    CHECK(jl_str_opt(&r, rec, "b", "dflt", &s) == 0 && !strcmp(s, "dflt"));
    CHECK(jl_str_opt(&r, rec, "z", NULL, &s) == 0 && s == NULL);
    CHECK(jl_num_opt(&r, rec, "m", 7, &v) == 0 && v == 7);
    CHECK(jl_num_opt(&r, rec, "n", 7, &v) == 0 && v == -1.5);
    CHECK(jl_str_opt(&r, rec, "a", "dflt", &s) == 0 && !strcmp(s, "y"));
    REQUIRE(jl_next(&r, &rec) == 1);
    CHECK(cJSON_IsArray(rec) && r.line == 5);
    CHECK(jl_str(&r, rec, "a", &s) == -1 && strstr(ut_error(), "good.jsonl:5: not a JSON object"));
    REQUIRE(jl_next(&r, &rec) == 1);
    CHECK(r.line == 6 && jl_str(&r, rec, "a", &s) == 0 && !strcmp(s, "last, no newline"));
    CHECK(jl_next(&r, &rec) == 0 && rec == NULL);
    CHECK(jl_next(&r, &rec) == 0);
    jl_close(&r);
    /* an empty file and a file of blank lines and NUL padding hold no records */
    int n = -1;
    CHECK(jl_count(jl_file("empty.jsonl", "", 0), 0, &n) == 0 && n == 0);
    CHECK(jl_count(jl_file("pad.jsonl", "{}\n\n\0\0\0", 6), 0, &n) == 0 && n == 1);
}

TEST(jsonl_records_longer_than_a_read_block) {
    /* 3 records of 100 kB strings: lines cross the 64 kB read blocks */
    size_t len = 100000;
    char *big = malloc(3 * (len + 16));
    REQUIRE(big);
    size_t at = 0;
    for (int k = 0; k < 3; k++) {
        at += (size_t)sprintf(big + at, "{\"s\":\"");
        memset(big + at, 'a' + k, len);
        at += len;
        at += (size_t)sprintf(big + at, "\"}\n");
    }
    const char *path = jl_file("big.jsonl", big, at);
    free(big);
    jl_reader r;
    REQUIRE(jl_open(&r, path, 0) == 0);
    cJSON *rec;
    const char *s;
    for (int k = 0; k < 3; k++) {
        REQUIRE(jl_next(&r, &rec) == 1);
        REQUIRE(jl_str(&r, rec, "s", &s) == 0);
        CHECK(strlen(s) == len && s[0] == 'a' + k && s[len - 1] == 'a' + k);
    }
    CHECK(jl_next(&r, &rec) == 0);
    jl_close(&r);
}

TEST(jsonl_errors_name_file_line_and_problem) {
    int n = 0;
    /* malformed JSON: file, line, column and the text there */
    const char *bad = "{\"a\": 1}\n\n{\"a\": oops}\n{\"a\": 2}\n";
    CHECK(jl_count(jl_file("bad.jsonl", bad, strlen(bad)), 0, &n) == -1 && n == 1);
    CHECK_MSG(strstr(ut_error(), "bad.jsonl:3: not valid JSON (column 7: near 'oops}')"), "%s", ut_error());
    const char *cut = "{\"a\": [1, 2\n";
    CHECK(jl_count(jl_file("cut.jsonl", cut, strlen(cut)), 0, &n) == -1 && strstr(ut_error(), "cut.jsonl:1: not valid JSON"));
    /* two values on one line */
    const char *two = "{\"a\": 1} {\"a\": 2}\n";
    CHECK(jl_count(jl_file("two.jsonl", two, strlen(two)), 0, &n) == -1 && strstr(ut_error(), "two.jsonl:1: not valid JSON"));
    /* a NUL byte inside a record */
    CHECK(jl_count(jl_file("nul.jsonl", "{}\n{\"a\"\0: 1}\n", 13), 0, &n) == -1 && n == 1 &&
          strstr(ut_error(), "nul.jsonl:2: line holds a NUL byte"));
    /* overlong line: the limit counts the bytes before '\n' */
    const char *lines = "{\"a\": 12}\n{\"a\": 123}\n";
    CHECK(jl_count(jl_file("long.jsonl", lines, strlen(lines)), 9, &n) == -1 && n == 1);
    CHECK_MSG(strstr(ut_error(), "long.jsonl:2: line longer than 9 bytes"), "%s", ut_error());
    CHECK(jl_count(jl_file("long.jsonl", lines, strlen(lines)), 10, &n) == 0 && n == 2);
    /* missing files and folders */
    char path[600];
    snprintf(path, sizeof path, "%s/none.jsonl", tf_tmpdir());
    jl_reader r;
    CHECK(jl_open(&r, path, 0) == -1 && strstr(ut_error(), "none.jsonl"));
    CHECK(jl_open(&r, tf_tmpdir(), 0) == -1 && strstr(ut_error(), "is a folder"));
}

TEST(jsonl_field_errors_name_the_key) {
    const char *text = "{\"prompt\": \"p\"}\n{\"prompt\": 3, \"n\": \"x\"}\n";
    jl_reader r;
    REQUIRE(jl_open(&r, jl_file("f.jsonl", text, strlen(text)), 0) == 0);
    cJSON *rec;
    const char *s = NULL;
    double v = 0;
    REQUIRE(jl_next(&r, &rec) == 1);
    CHECK(jl_str(&r, rec, "answer", &s) == -1 && strstr(ut_error(), "f.jsonl:1: missing field \"answer\""));
    CHECK(jl_num(&r, rec, "n", &v) == -1 && strstr(ut_error(), "f.jsonl:1: missing field \"n\""));
    REQUIRE(jl_next(&r, &rec) == 1);
    CHECK(jl_str(&r, rec, "prompt", &s) == -1 && strstr(ut_error(), "f.jsonl:2: field \"prompt\" is not a string"));
    CHECK(jl_num(&r, rec, "n", &v) == -1 && strstr(ut_error(), "f.jsonl:2: field \"n\" is not a number"));
    CHECK(jl_str_opt(&r, rec, "prompt", "d", &s) == -1 && strstr(ut_error(), "\"prompt\" is not a string"));
    CHECK(jl_num_opt(&r, rec, "n", 1, &v) == -1 && strstr(ut_error(), "\"n\" is not a number"));
    CHECK(jl_num(&r, rec, "prompt", &v) == 0 && v == 3);
    jl_close(&r);
}
