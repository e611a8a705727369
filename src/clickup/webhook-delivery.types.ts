/** A ClickUp delivery that was verified but could not be processed then (the database was down): kept in a ClickUpDeliveryRetry instance. */
export interface ClickUpDeliveryParams {
  /** The delivery's exact body, as ClickUp signed it. */
  body: string;
  /** When the route acknowledged it (ms epoch). */
  received_at: number;
}
