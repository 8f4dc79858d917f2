// The conversation service's entry for tests and benchmarks outside it (`@tend/conversation/testing`):
// a scripted OpenAI-compatible model server, and the embedded brain's understanding with the
// labelled corpus it is measured on. Service code never imports this.
export { ScriptedLlmServer, type LlmScript } from './scripted-llm-server.js';
export { labelledCorpus, type LabelledExample } from '../understanding/corpus.js';
export { ParaphraseMatcher } from '../understanding/paraphrase-matcher.js';
export { understand, type Understanding, type UnderstandingContext } from '../understanding/understand.js';
