/* chat.h - the prompt/answer layout a recad model is trained on and sampled with, prefix chat_.
 *
 * A sample is one user turn and one assistant turn:
 *     <|im_start|>user\n PROMPT <|im_end|>\n<|im_start|>assistant\n ANSWER <|endoftext|>
 * The special tokens are single ids; PROMPT is encoded as plain text (a special-token string a
 * user types is ordinary bytes and can never act as a control token); ANSWER, which comes from
 * recad's own data or from the model itself, is encoded with its special strings matched, so
 * "<think>" and "</think>" are one id each. Training puts the loss on ANSWER and <|endoftext|>;
 * generation feeds everything up to and including "assistant\n" and stops at <|endoftext|> or
 * <|im_end|>.
 *
 * A tokenizer without <|im_start|> / <|im_end|> (or no tokenizer: byte-level ids, see
 * train/train.h) gets the plain layout PROMPT ANSWER: the prompt as is, no markers.
 *
 * Answer text: "<think>\nPLAN\n</think>\nPROGRAM"; chat_program() finds PROGRAM in it.
 *
 * Errors: none for text (encoding is total); image prompts as said there. Results are malloc'd. The tokenizer's encode cache makes
 * these functions one-thread-at-a-time per tokenizer, as tok_encode is.
 */
#ifndef RECAD_CHAT_H
#define RECAD_CHAT_H

#include "ml/tokenizer.h"

/* ids of the prompt part: markers + PROMPT + "assistant\n" marker (or PROMPT as is); *n = count */
int *chat_encode_prompt(tok_tokenizer *t, const char *prompt, int *n);
/* Image prompts. An image record's prompt holds CHAT_IMAGE once, where the picture goes (the
 * dataset writes the prompt "<|image|>", docs/data_images.md). Its ids are chat_encode_prompt's with
 * that string replaced by ntok ids `pad`: the placeholders whose embeddings the vision encoder's
 * image tokens replace (ml/vlm.h). The placeholder is the special token CHAT_IMAGE_PAD, which
 * recad train adds to a tokenizer that lacks it (tok_add_special_token). NULL + ut_error when the
 * prompt holds CHAT_IMAGE zero times or more than once, or pad is not a special id of t. */
#define CHAT_IMAGE "<|image|>"
#define CHAT_IMAGE_PAD "<|image_pad|>"
int *chat_encode_image_prompt(tok_tokenizer *t, const char *prompt, int pad, int ntok, int *n);
/* ids of the answer, special strings matched (no end token appended) */
int *chat_encode_answer(tok_tokenizer *t, const char *answer, int *n);
/* the ids that end an answer: <|endoftext|> and <|im_end|> where the tokenizer has them, into
 * ids[0..2); returns their count (0 when it has neither) */
int chat_end_ids(const tok_tokenizer *t, int ids[2]);
/* 1 if the tokenizer has the markers the chat layout needs */
int chat_has_markers(const tok_tokenizer *t);
/* the program part of an answer: the text after the last "</think>" (leading blank lines
 * skipped), or the whole answer when it has no think block; a pointer into answer */
const char *chat_program(const char *answer);
/* the plan inside <think> ... </think> as a new string (trimmed), or NULL when there is none */
char *chat_plan(const char *answer);

#endif
