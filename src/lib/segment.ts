/** The course segments: the one list the agents, the store, ClickUp and the dashboard share (SQL: the app_private.segment domain). */
export const SEGMENTS = ["high-end", "budget", "both"] as const;
export type Segment = (typeof SEGMENTS)[number];
