export { createConversationService, type ConversationServiceDeps } from './conversation-service.js';
