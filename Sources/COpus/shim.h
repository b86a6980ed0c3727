#ifndef HARK_COpus_SHIM_H
#define HARK_COpus_SHIM_H

#include <opus.h>
#include <hark_shared_library.h>

// libopus is loaded on first use (only --encoding opus needs it): `hark_opus_load` returns the
// functions below, or NULL with the reason.
#define HARK_OPUS_SONAME "libopus.so.0"
#define HARK_OPUS_FUNCTIONS(X) \
    X(opus_encoder_create) X(opus_encoder_destroy) X(opus_encode) X(opus_encoder_ctl) X(opus_strerror)
HARK_SHARED_LIBRARY_LOADER(hark_opus, HARK_OPUS_SONAME, HARK_OPUS_FUNCTIONS)

// opus_encoder_ctl is variadic and its requests are function-like macros: neither imports into
// Swift, so each request hark uses gets a typed wrapper.

static inline int hark_opus_encoder_set_bitrate(hark_opus_functions opus, OpusEncoder *encoder,
                                                opus_int32 bitrate) {
    return opus.opus_encoder_ctl(encoder, OPUS_SET_BITRATE(bitrate));
}

static inline int hark_opus_encoder_set_signal_voice(hark_opus_functions opus, OpusEncoder *encoder) {
    return opus.opus_encoder_ctl(encoder, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE));
}

static inline int hark_opus_encoder_set_complexity(hark_opus_functions opus, OpusEncoder *encoder,
                                                   opus_int32 complexity) {
    return opus.opus_encoder_ctl(encoder, OPUS_SET_COMPLEXITY(complexity));
}

static inline int hark_opus_encoder_get_lookahead(hark_opus_functions opus, OpusEncoder *encoder,
                                                  opus_int32 *samples) {
    return opus.opus_encoder_ctl(encoder, OPUS_GET_LOOKAHEAD(samples));
}

#endif
