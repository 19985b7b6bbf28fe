/**
 * Finished-job notifications: a system notification (Notification API) for long jobs where the user allowed it;
 * the screen always shows an in-app toast as well, which is all there is where notifications are denied
 * (Electron's shell denies permission requests; a browser may too).
 */
import type { FinishedNotice } from './jobsStore.js';

export function notificationsAvailable(): boolean {
  return typeof window !== 'undefined' && 'Notification' in window;
}

export function systemNotify(n: FinishedNotice, long: boolean): void {
  if (!long || !notificationsAvailable() || Notification.permission !== 'granted') return;
  try {
    new Notification('Defect Studio: job finished', { body: n.text, tag: n.jobId });
  } catch {
    /* some platforms only allow notifications from a service worker: the toast remains */
  }
}

export async function askNotificationPermission(): Promise<NotificationPermission | 'unavailable'> {
  if (!notificationsAvailable()) return 'unavailable';
  return Notification.requestPermission();
}
