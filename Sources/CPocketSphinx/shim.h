#ifndef HARK_CPocketSphinx_SHIM_H
#define HARK_CPocketSphinx_SHIM_H

#include <pocketsphinx.h>
#include <sphinxbase/err.h>

/// `cmd_ln_init` is variadic, which Swift cannot call: this builds the decoder configuration for
/// one acoustic model folder, language model and dictionary. Returns NULL when PocketSphinx
/// refuses the arguments.
static inline cmd_ln_t *hark_ps_config(const char *acoustic_model, const char *language_model,
                                       const char *dictionary) {
    return cmd_ln_init(NULL, ps_args(), TRUE,
                       "-hmm", acoustic_model,
                       "-lm", language_model,
                       "-dict", dictionary,
                       NULL);
}

/// Silences PocketSphinx's and SphinxBase's logging (it writes pages of configuration and
/// progress to stderr otherwise); hark reports failures itself from return codes.
static inline void hark_ps_silence_logging(void) {
    err_set_logfp(NULL);
}

#endif
