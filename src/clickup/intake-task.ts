import { z } from "zod";
import { PermanentError } from "../lib/errors.ts";
import { toStateCode } from "../lib/us-states.ts";

/** The part of ClickUp's Get Task response the intake step reads. */
const IntakeTask = z.looseObject({
  id: z.string(),
  name: z.string(),
  list: z.looseObject({ id: z.string() }).optional(),
  custom_fields: z
    .array(z.looseObject({ id: z.string(), name: z.string(), value: z.unknown().optional() }))
    .optional(),
});
export type IntakeTask = z.infer<typeof IntakeTask>;

/**
 * Reads "Course Name, ST" / "Course Name - Virginia" / "Course Name (VA)" from an intake task, or a
 * custom field named "State". A task we cannot read is a clear, permanent error for the rep.
 */
export function courseFromIntakeTask(task: IntakeTask): { course_name: string; state: string } {
  const stateField = task.custom_fields?.find((f) => f.name.trim().toLowerCase() === "state");
  const fieldState = typeof stateField?.value === "string" ? toStateCode(stateField.value) : undefined;
  const name = task.name.trim().replace(/\s+/g, " ");
  const match = /^(.*?)(?:\s*[,|–-]\s*|\s+\()([A-Za-z .]+?)\)?$/.exec(name);
  if (match?.[1] && match[2]) {
    const state = toStateCode(match[2]);
    if (state) return { course_name: match[1].trim(), state };
  }
  if (fieldState && name) return { course_name: name, state: fieldState };
  throw new PermanentError(
    `Intake task "${task.name}" does not say which state the course is in: name it like "Richmond Country Club, VA"`,
  );
}
