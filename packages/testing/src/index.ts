export { realInfra, requireInfra, type RealInfra } from './real-infra.js';
