#ifndef HARK_APM_H
#define HARK_APM_H

// extern "C" API over webrtc::AudioProcessing (WebRTC audio processing 0.3).
//
// Only plain C types cross this line: Swift never sees a C++ type. One handle processes one
// mono stream at one sample rate (8–96 kHz through the float path), 10 ms at a time.

#ifdef __cplusplus
extern "C" {
#endif

/// The library the shim opens on first use.
#define HARK_APM_SONAME "libwebrtc_audio_processing.so.1"

/// Opens the library if it is not open yet. Returns NULL when it is usable, or why not (valid
/// for the life of the process). `hark_apm_create` fails with kCreationFailedError until it is.
const char *hark_apm_load(void);

/// An audio processing instance; opaque to Swift.
typedef struct hark_apm hark_apm;

/// What to switch on. Levels use the library's own order so the shim does no guessing:
/// `vad_likelihood` 0 = kVeryLowLikelihood (strictest) … 3 = kHighLikelihood (most permissive);
/// `noise_suppression_level` 0 = kLow … 3 = kVeryHigh, or -1 for off.
typedef struct hark_apm_options {
    int voice_detection;          // 0 or 1
    int vad_likelihood;           // 0…3, see above
    int noise_suppression_level;  // -1 off, 0…3
    int gain_control;             // 0 or 1: adaptive digital AGC
    int high_pass_filter;         // 0 or 1
} hark_apm_options;

/// Creates an instance for mono audio at `sample_rate` Hz. On failure returns NULL and stores
/// the library's error code (negative) in `*error`.
hark_apm *hark_apm_create(int sample_rate, const hark_apm_options *options, int *error);

/// Samples in one 10 ms frame at the instance's rate.
int hark_apm_frame_length(const hark_apm *apm);

/// Processes one 10 ms frame in place (`frame_length` floats in [-1, 1]). `*voice` is set to 1
/// when voice detection is on and found voice, 0 otherwise. Returns 0 or a negative library code.
int hark_apm_process(hark_apm *apm, float *frame, int frame_length, int *voice);

/// Frees the instance. NULL is allowed.
void hark_apm_destroy(hark_apm *apm);

/// The name and meaning of a library error code (never NULL).
const char *hark_apm_strerror(int code);

#ifdef __cplusplus
}
#endif

#endif
