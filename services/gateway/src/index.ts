export { GatewayServer, trustedProxiesFor, type GatewayOptions } from './gateway-server.js';
export { routeAccess, type RouteAccess } from './http/access-policy.js';
