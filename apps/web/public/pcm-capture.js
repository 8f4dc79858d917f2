/* global AudioWorkletProcessor, registerProcessor */
// The microphone for a hands-free turn: each 128-sample block of the first channel goes to the
// page as it is, at the audio context's rate; the page frames it, checks its level and sends it.
class PcmCapture extends AudioWorkletProcessor {
  process(inputs) {
    const channel = inputs[0] && inputs[0][0];
    if (channel) this.port.postMessage(channel.slice(0));
    return true;
  }
}
registerProcessor('pcm-capture', PcmCapture);
