/* tokenizer.h - byte-level BPE tokenizer: train, encode, decode, Hugging Face tokenizer.json I/O.
 *
 * Model. Every token is a byte string. Ids 0..255 are the 256 single bytes (id b = byte b) in a
 * trained tokenizer; a loaded tokenizer may number them differently (all 256 must exist). Merges
 * are ordered: merge r joins tokens (a, b) into token a+b and has rank r (lower = applied first).
 * Special tokens (e.g. "<|endoftext|>") come after the merged tokens and are never split or
 * merged; their text is stored as is, not byte-mapped.
 *
 * Pre-tokenisation (tok_pretoken) cuts text into pieces before BPE; merges never cross a piece
 * boundary. It is a hand-written equivalent of the Qwen2 split regex
 *     (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*
 *     |\s*[\r\n]+|\s+(?!\S)|\s+
 * over bytes, with these classes: letter = ASCII A-Z a-z or any byte >= 0x80 (so every UTF-8
 * multi-byte character, and every invalid byte, counts as a letter); digit = ASCII 0-9;
 * space = ' ' \t \n \v \f \r; punctuation = every other byte. The alternatives, tried in order:
 *   1. an apostrophe contraction: 's 't 're 've 'm 'll 'd (any case)
 *   2. one optional non-newline non-letter non-digit byte, then a run of letters   (" width", "(x")
 *   3. one digit - numbers are split one digit per token                            ("1","2","5")
 *   4. an optional ' ', a run of punctuation, then any \r\n run                     (" ==", ",\n")
 *   5. spaces ending with the last \r or \n of the space run                       ("\n\n  \n")
 *   6. a space run minus its last byte when a non-space follows, else the whole run
 *   7. a single space byte (only reached for a lone space before a digit or so)
 * The pieces partition the text, so encoding is lossless for any byte string.
 *
 * Special tokens in text: tok_encode() matches special token strings only with TOK_SPECIAL set
 * (use it for prompts built by the program, e.g. a chat template). Without it, text that merely
 * contains "<|endoftext|>" is encoded as ordinary bytes and never yields a special id - this keeps
 * user or data text from injecting control tokens. With TOK_SPECIAL the longest special string
 * starting at a position wins.
 *
 * Training (tok_train): pieces are counted in a hash table; merges are learned from pair counts
 * that are updated incrementally (only the words that contain the merged pair are touched) with a
 * lazy max-heap. Each step merges the most frequent adjacent pair; ties go to the pair whose
 * (left id, right id) is smallest. Training stops at the target vocabulary size (bytes + merges +
 * specials) or when the best pair occurs fewer than min_frequency times.
 *
 * Encoding: per piece, lowest-rank merge first (a heap over a linked list, O(n log n) in the piece
 * length), with a cache of encoded pieces. Decoding concatenates token bytes: exact round trip
 * tok_decode(tok_encode(x)) == x for every byte string x.
 *
 * File form: Hugging Face tokenizer.json with model.type "BPE", model.vocab {token: id} and
 * model.merges ["a b", ...] (pairs [a, b] are also read), token strings in the GPT-2 byte-to-unicode
 * alphabet, added_tokens for the specials, pre_tokenizer Split(Qwen2 regex) + ByteLevel, decoder
 * ByteLevel. Writes are atomic; loading validates and reports the first problem.
 *
 * Errors: functions return NULL or -1 and set ut_error(). The tokenizer is read-only after
 * creation except for its encode cache; tok_encode may be called from one thread at a time per
 * tokenizer (the cache is not locked).
 */
#ifndef RECAD_TOKENIZER_H
#define RECAD_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

typedef struct tok_tokenizer tok_tokenizer;

enum { TOK_SPECIAL = 1 };           /* tok_encode flag: match special token strings in the text */
enum { TOK_SKIP_SPECIAL = 1 };      /* tok_decode flag: leave special tokens out of the text */

/* the specials a recad tokenizer gets when none are given */
extern const char *const tok_default_specials[];
extern const int tok_default_nspecials;

/* ---- pre-tokenisation ---- */
/* length in bytes of the piece that starts at s[0] (n > 0 bytes available); always >= 1 */
size_t tok_pretoken(const uint8_t *s, size_t n);

/* ---- training ---- */
typedef struct {
    int vocab_size;                /* target total: 256 bytes + merges + specials */
    int min_frequency;             /* stop when the best pair occurs fewer times (default 2) */
    const char *const *specials;   /* special token strings (NULL: tok_default_specials) */
    int nspecials;
    int quiet;                     /* no progress bar */
} tok_train_opts;

typedef struct tok_trainer tok_trainer;
tok_trainer *tok_trainer_new(void);
void tok_trainer_add(tok_trainer *tr, const char *text, size_t len); /* count the text's pieces */
tok_tokenizer *tok_trainer_finish(tok_trainer *tr, const tok_train_opts *o); /* NULL + ut_error */
void tok_trainer_free(tok_trainer *tr);
/* one-call form: train on n texts */
tok_tokenizer *tok_train(const char *const *texts, const size_t *lens, int n, const tok_train_opts *o);

/* ---- use ---- */
/* token ids of text[0..len) into a new array (*nout ids); NULL + ut_error on failure */
int *tok_encode(tok_tokenizer *t, const char *text, size_t len, int flags, int *nout);
/* bytes of ids[0..n) into a new NUL-terminated buffer (*len bytes); NULL if an id is out of range */
char *tok_decode(const tok_tokenizer *t, const int *ids, int n, int flags, size_t *len);
/* bytes of one token (not NUL-terminated); NULL if out of range */
const char *tok_token_bytes(const tok_tokenizer *t, int id, int *len);

int tok_vocab_size(const tok_tokenizer *t);   /* 1 + largest id */
int tok_nmerges(const tok_tokenizer *t);
int tok_is_special(const tok_tokenizer *t, int id);
int tok_special_id(const tok_tokenizer *t, const char *content); /* -1 if not a special token */
/* the id of special token content, appended after the last id (tok_vocab_size grows by one) when
 * the tokenizer does not have it yet; -1 + ut_error for an empty or over-long string */
int tok_add_special_token(tok_tokenizer *t, const char *content);
/* merge r as ids: *a, *b -> *c; -1 if out of range */
int tok_merge(const tok_tokenizer *t, int r, int *a, int *b, int *c);

/* ---- files ---- */
int tok_save(const tok_tokenizer *t, const char *path);   /* atomic; -1 + ut_error */
tok_tokenizer *tok_load(const char *path);                /* NULL + ut_error naming the problem */
tok_tokenizer *tok_from_json(const char *json, size_t len);
char *tok_to_json(const tok_tokenizer *t);                /* malloc'd, formatted */
void tok_free(tok_tokenizer *t);

/* GPT-2 byte-level alphabet: code point that stands for byte b, and the inverse (-1 if none) */
int tok_byte_to_cp(int b);
int tok_cp_to_byte(int cp);

#endif
