/* ckpt.h - checkpoint folders of a training run, for any trainer: atomic step folders, the
 * `latest` pointer, rotation and finding the checkpoint to resume from.
 *
 * Layout of a run folder OUT:
 *   step-NNNNNNNN/       one checkpoint (NNNNNNNN: the step, zero-padded to 8 digits or more)
 *   step-NNNNNNNN.tmp/   a checkpoint being written (left behind only by an interrupted write)
 *   latest               the name of the newest complete checkpoint folder, no newline
 *
 * Writing: ck_begin(out, step) makes an empty OUT/step-NNNNNNNN.tmp/ (removing a stale one) and
 * returns its path; the trainer writes its files there (model, optimiser state, its own state
 * JSON ...: this module does not know what a checkpoint holds); ck_commit() then
 *   1. renames the .tmp folder to step-NNNNNNNN/ (replacing an older folder of that step),
 *   2. writes `latest` atomically, last, so a crash at any point leaves `latest` naming a folder
 *      whose files are all complete,
 *   3. rotates: keeps the committed folder and the keep-1 newest ones below it, and removes the
 *      rest, the folders of steps after the committed one (an abandoned continuation) and any
 *      stale .tmp folder. keep <= 0 keeps every checkpoint.
 * ck_abort() removes the .tmp folder of a write that failed.
 *
 * Resuming: ck_latest() finds the checkpoint named by `latest`, or, when there is no `latest`
 * (a crash between the first rename and the first pointer write), the newest step folder; .tmp
 * folders are never used. It checks that the trainer's required files are present. A corrupt
 * `latest` (not a step folder name), a missing folder or a missing file is an error naming it.
 *
 * Durability: files written with ut_write_atomic are fsynced; ck_commit also fsyncs OUT after the
 * rename. Errors: -1 + ut_error(). One writer per run folder.
 */
#ifndef RECAD_CKPT_H
#define RECAD_CKPT_H

#include <stddef.h>

#include <cjson/cJSON.h>

/* OUT/step-NNNNNNNN into dir (n bytes); -1 when it does not fit */
int ck_dir(const char *out, long step, char *dir, size_t n);

/* starts checkpoint `step`: makes OUT (if needed) and an empty temporary folder, path in tmp */
int ck_begin(const char *out, long step, char *tmp, size_t n);
/* publishes the temporary folder of `step`, points `latest` at it, keeps `keep` checkpoints */
int ck_commit(const char *out, long step, int keep);
/* removes the temporary folder of `step` after a failed write; ut_error() keeps the failure */
void ck_abort(const char *out, long step);

/* the checkpoint to resume from: 0 with its folder in dir and its step in *step; 1 when OUT holds
 * no checkpoint; -1 on a corrupt `latest`, a missing folder, or a missing required file.
 * required: NULL-terminated file names that a complete checkpoint holds (NULL: none). */
int ck_latest(const char *out, const char *const *required, char *dir, size_t n, long *step);

/* the steps of the complete step folders of OUT, ascending; *steps is malloc'ed (free it) */
int ck_list(const char *out, long **steps, int *n);

/* a small JSON state file in a checkpoint folder: written atomically (cJSON_Print layout), read
 * back with errors that name the file; cJSON_Delete the result */
int ck_write_json(const char *dir, const char *name, const cJSON *j);
cJSON *ck_read_json(const char *dir, const char *name);

/* removes a folder and everything below it (symbolic links are removed, not followed) */
int ck_remove_tree(const char *path);

#endif
