#ifndef HARK_APM_H
#define HARK_APM_H

// extern "C" API over webrtc::AudioProcessing (WebRTC audio processing 0.3).
// Filled in by the DSP module; this placeholder keeps the target buildable.

#ifdef __cplusplus
extern "C" {
#endif

int hark_apm_placeholder(void);

#ifdef __cplusplus
}
#endif

#endif
