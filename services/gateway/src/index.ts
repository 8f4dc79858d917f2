export { GatewayServer, trustedProxiesFor, type GatewayOptions } from './gateway-server.js';
