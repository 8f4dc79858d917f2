export {
  createNotificationService,
  type NotificationServiceDeps,
  type ChannelSettings,
  type NotificationServiceModule,
} from './notification-service.js';
export type { SchedulerOptions } from './reminders/reminder-scheduler.js';
export { missedAfterMs } from './reminders/reminder-dispatcher.js';
export { lateAfterMs } from './reminders/reminder-drafts.js';
