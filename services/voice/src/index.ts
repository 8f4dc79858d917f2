export { createVoiceService, voiceError, type VoiceServiceDeps } from './voice-service.js';
export { EnergyVad, type VadEvent, type VadOptions } from './audio/vad.js';
export { errorRate, errorCounts } from './error-rate.js';
export { sentencesOf } from './sentences.js';
export { audioTypeOf, acceptedAudioTypes, type AudioType } from './audio/decode.js';
export { speechContentType, speechFormats, type SpeechFormat } from './audio/encode.js';
