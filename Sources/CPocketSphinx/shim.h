#ifndef HARK_CPocketSphinx_SHIM_H
#define HARK_CPocketSphinx_SHIM_H

#include <pocketsphinx.h>
#include <sphinxbase/err.h>
#include <hark_shared_library.h>

// PocketSphinx (and through it SphinxBase, LAPACK, ...) is loaded on first use: only
// --provider local needs it. `hark_ps_load` returns the functions below, or NULL with the
// reason; SphinxBase's functions resolve through libpocketsphinx's own dependencies.
#define HARK_PS_SONAME "libpocketsphinx.so.3"
#define HARK_PS_FUNCTIONS(X)                                                                       \
    X(cmd_ln_init) X(cmd_ln_free_r) X(ps_args) X(err_set_logfp) X(ps_init) X(ps_free)              \
    X(ps_start_stream) X(ps_start_utt) X(ps_process_raw) X(ps_end_utt) X(ps_get_hyp)              \
    X(ps_get_in_speech) X(ps_get_n_frames) X(ps_seg_iter) X(ps_seg_next) X(ps_seg_word)           \
    X(ps_seg_frames)
HARK_SHARED_LIBRARY_LOADER(hark_ps, HARK_PS_SONAME, HARK_PS_FUNCTIONS)

/// `cmd_ln_init` is variadic, which Swift cannot call: this builds the decoder configuration for
/// one acoustic model folder, language model and dictionary. Returns NULL when PocketSphinx
/// refuses the arguments.
static inline cmd_ln_t *hark_ps_config(hark_ps_functions ps, const char *acoustic_model,
                                       const char *language_model, const char *dictionary) {
    return ps.cmd_ln_init(NULL, ps.ps_args(), TRUE,
                           "-hmm", acoustic_model,
                           "-lm", language_model,
                           "-dict", dictionary,
                           NULL);
}

/// Silences PocketSphinx's and SphinxBase's logging (it writes pages of configuration and
/// progress to stderr otherwise); hark reports failures itself from return codes.
static inline void hark_ps_silence_logging(hark_ps_functions ps) {
    ps.err_set_logfp(NULL);
}

#endif
