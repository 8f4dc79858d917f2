export {
  createNotificationService,
  type NotificationServiceDeps,
  type ChannelSettings,
  type NotificationServiceModule,
} from './notification-service.js';
export type { SchedulerOptions } from './reminders/reminder-scheduler.js';
export { missedAfterMs, lateAfterMs } from './reminders/reminder-dispatcher.js';
