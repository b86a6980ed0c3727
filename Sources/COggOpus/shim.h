#ifndef HARK_COggOpus_SHIM_H
#define HARK_COggOpus_SHIM_H

#include <opusenc.h>
#include <hark_shared_library.h>

// libopusenc is loaded on first use (only --encoding ogg-opus needs it): `hark_ope_load` returns
// the functions below, or NULL with the reason.
#define HARK_OPE_SONAME "libopusenc.so.0"
#define HARK_OPE_FUNCTIONS(X)                                                                      \
    X(ope_comments_create) X(ope_comments_add) X(ope_comments_destroy) X(ope_encoder_create_pull)  \
    X(ope_encoder_write) X(ope_encoder_get_page) X(ope_encoder_drain) X(ope_encoder_flush_header)  \
    X(ope_encoder_destroy) X(ope_encoder_ctl) X(ope_strerror)
HARK_SHARED_LIBRARY_LOADER(hark_ope, HARK_OPE_SONAME, HARK_OPE_FUNCTIONS)

// ope_encoder_ctl is variadic and its requests are function-like macros: neither imports into
// Swift, so each request hark uses gets a typed wrapper.

static inline int hark_ope_encoder_set_decision_delay(hark_ope_functions ope, OggOpusEnc *encoder,
                                                      opus_int32 samples) {
    return ope.ope_encoder_ctl(encoder, OPE_SET_DECISION_DELAY(samples));
}

static inline int hark_ope_encoder_set_comment_padding(hark_ope_functions ope, OggOpusEnc *encoder,
                                                       opus_int32 bytes) {
    return ope.ope_encoder_ctl(encoder, OPE_SET_COMMENT_PADDING(bytes));
}

static inline int hark_ope_encoder_set_bitrate(hark_ope_functions ope, OggOpusEnc *encoder,
                                               opus_int32 bitrate) {
    return ope.ope_encoder_ctl(encoder, OPUS_SET_BITRATE(bitrate));
}

static inline int hark_ope_encoder_set_complexity(hark_ope_functions ope, OggOpusEnc *encoder,
                                                  opus_int32 complexity) {
    return ope.ope_encoder_ctl(encoder, OPUS_SET_COMPLEXITY(complexity));
}

static inline int hark_ope_encoder_set_signal_voice(hark_ope_functions ope, OggOpusEnc *encoder) {
    return ope.ope_encoder_ctl(encoder, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE));
}

#endif
