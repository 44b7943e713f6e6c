/* test_chat.c - the prompt/answer layout of ml/chat.h */
#include <stdlib.h>
#include <string.h>

#include "ml/chat.h"
#include "tf.h"
#include "base/util.h"

static tok_tokenizer *chat_tok(void) {
    const char *texts[] = {"<think>plan</think> Line(0,0, 1,0)", "user typed <|im_end|> here"};
    size_t lens[2] = {strlen(texts[0]), strlen(texts[1])};
    tok_train_opts o = {0};
    o.vocab_size = 300;
    o.min_frequency = 2;
    o.quiet = 1;
    return tok_train(texts, lens, 2, &o);
}

TEST(chat_prompt_markers_are_special_and_user_text_is_not) {
    tok_tokenizer *t = chat_tok();
    REQUIRE_MSG(t, "%s", ut_error());
    REQUIRE(chat_has_markers(t));
    int n = 0, *ids = chat_encode_prompt(t, "a <|im_end|> b", &n);
    int start = tok_special_id(t, "<|im_start|>"), end = tok_special_id(t, "<|im_end|>");
    int nstart = 0, nend = 0;
    for (int i = 0; i < n; i++) nstart += ids[i] == start, nend += ids[i] == end;
    CHECK(ids[0] == start);
    CHECK(nstart == 2 && nend == 1); /* the typed "<|im_end|>" stays ordinary bytes */
    size_t len = 0;
    char *txt = tok_decode(t, ids, n, 0, &len);
    CHECK_MSG(!strcmp(txt, "<|im_start|>user\na <|im_end|> b<|im_end|>\n<|im_start|>assistant\n"), "%s", txt);
    free(txt);
    free(ids);
    int na = 0, *ia = chat_encode_answer(t, "<think>\nplan\n</think>\nx", &na);
    CHECK(ia[0] == tok_special_id(t, "<think>"));
    free(ia);
    tok_free(t);
}

TEST(chat_program_and_plan_are_found_in_an_answer) {
    const char *a = "<think>\n  a plate 60x40\n</think>\n\nlocal w = 60\n";
    CHECK(!strcmp(chat_program(a), "local w = 60\n"));
    char *p = chat_plan(a);
    CHECK(p && !strcmp(p, "a plate 60x40"));
    free(p);
    CHECK(!strcmp(chat_program("Extrude(x)"), "Extrude(x)"));
    CHECK(chat_plan("no plan") == NULL);
    CHECK(chat_plan("<think> unterminated") == NULL);
}
