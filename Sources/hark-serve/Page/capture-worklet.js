// hark serve: microphone samples to 16-bit mono PCM chunks, in the audio thread.
// Posts {pcm: ArrayBuffer} every chunkFrames frames and {level: 0..1} about 20 times a second;
// on "flush" posts what it has, then {flushed: true}.
class HarkCapture extends AudioWorkletProcessor {
  constructor(options) {
    super();
    this.chunkFrames = options.processorOptions.chunkFrames;
    this.chunk = new Int16Array(this.chunkFrames);
    this.filled = 0;
    this.peak = 0;
    this.levelFrames = 0;
    this.port.onmessage = (event) => {
      if (event.data === "flush") {
        this.post();
        this.port.postMessage({ flushed: true });
      }
    };
  }

  post() {
    if (this.filled === 0) return;
    const pcm = this.chunk.slice(0, this.filled).buffer;
    this.port.postMessage({ pcm }, [pcm]);
    this.filled = 0;
  }

  process(inputs) {
    const input = inputs[0];
    if (!input || input.length === 0) return true;
    const frames = input[0].length;
    for (let i = 0; i < frames; i++) {
      let sum = 0;
      for (let c = 0; c < input.length; c++) sum += input[c][i];
      const sample = Math.max(-1, Math.min(1, sum / input.length));
      this.peak = Math.max(this.peak, Math.abs(sample));
      this.chunk[this.filled++] = sample < 0 ? sample * 0x8000 : sample * 0x7fff;
      if (this.filled === this.chunkFrames) this.post();
    }
    this.levelFrames += frames;
    if (this.levelFrames >= sampleRate / 20) {
      this.port.postMessage({ level: this.peak });
      this.peak = 0;
      this.levelFrames = 0;
    }
    return true;
  }
}

registerProcessor("hark-capture", HarkCapture);
