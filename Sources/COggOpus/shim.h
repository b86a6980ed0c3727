#ifndef HARK_COggOpus_SHIM_H
#define HARK_COggOpus_SHIM_H

#include <opusenc.h>

// ope_encoder_ctl is variadic and its requests are function-like macros: neither imports into
// Swift, so each request hark uses gets a typed wrapper.

static inline int hark_ope_encoder_set_decision_delay(OggOpusEnc *encoder, opus_int32 samples) {
    return ope_encoder_ctl(encoder, OPE_SET_DECISION_DELAY(samples));
}

static inline int hark_ope_encoder_set_comment_padding(OggOpusEnc *encoder, opus_int32 bytes) {
    return ope_encoder_ctl(encoder, OPE_SET_COMMENT_PADDING(bytes));
}

static inline int hark_ope_encoder_set_bitrate(OggOpusEnc *encoder, opus_int32 bitrate) {
    return ope_encoder_ctl(encoder, OPUS_SET_BITRATE(bitrate));
}

static inline int hark_ope_encoder_set_complexity(OggOpusEnc *encoder, opus_int32 complexity) {
    return ope_encoder_ctl(encoder, OPUS_SET_COMPLEXITY(complexity));
}

static inline int hark_ope_encoder_set_signal_voice(OggOpusEnc *encoder) {
    return ope_encoder_ctl(encoder, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE));
}

#endif
