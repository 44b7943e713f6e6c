/* reward.h - rewards reach a trainer as a callback, so that train/ knows nothing of geometry.
 *
 * A trainer that learns from rewards (GRPO: a group of n completions sampled for one prompt)
 * calls rw_reward.fn once per group. Whoever starts the run - a command or the server - owns
 * what the rewards measure, typically one prepared eval/score.h target per prompt, and passes a
 * function that scores the completions with it, together with its context pointer:
 *
 *   static int cad_reward(void *ctx, int prompt, const char *const *texts, int n, rw_score *out) {
 *       sc_target *t = ((my_targets *)ctx)->t[prompt];
 *       for (int i = 0; i < n; i++) { sc_result r; sc_score_text(t, texts[i], "rollout", NULL, &r);
 *                                     out[i] = (rw_score){r.valid ? r.best_exact : 0, r.valid, r.best_exact}; }
 *       return 0;
 *   }
 *   rw_reward rw = {cad_reward, &targets};
 *
 * Contract: prompt is the index of the prompt in the trainer's data; texts[i] is a NUL-terminated
 * completion; out[i] receives its reward (finite, larger is better) and, for the trainer's log,
 * whether the completion was a valid part and its IoU_best (NaN when not valid or not measured).
 * An invalid completion is a low reward, not an error: the callback returns -1 (with ut_error() set) only when no reward can
 * be computed at all, and the trainer then stops with that error. The trainer may call fn from
 * several threads at once for different groups; fn must allow that (score.h targets do).
 */
#ifndef RECAD_REWARD_H
#define RECAD_REWARD_H

typedef struct {
    double reward;   /* what the trainer maximises */
    int valid;       /* the completion gave a valid part */
    double iou_best; /* for the log; NaN when not measured */
} rw_score;

/* rewards of n completions of one prompt into out[0..n-1]; 0, or -1 + ut_error() */
typedef int (*rw_fn)(void *ctx, int prompt, const char *const *texts, int n, rw_score *out);

typedef struct {
    rw_fn fn;  /* the scorer */
    void *ctx; /* passed back to fn unchanged */
} rw_reward;

#endif
