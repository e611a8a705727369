/** clickup:setup, the custom fields: the lead fields shared by the three New Leads lists, the Segment options, the intake's State field. */
import type { ClickUpField } from "../../src/clickup/client.ts";
import { type FieldType, LEAD_FIELD_KEYS, LEAD_FIELDS, normalizeName } from "../../src/clickup/config.ts";
import { type Segment, SEGMENTS } from "../../src/lib/segment.ts";
import type { ListInfo, Provisioned, SetupContext } from "./setup.types.ts";

const TYPE_LABELS: Record<FieldType, string> = {
  drop_down: "Dropdown",
  number: "Number",
  email: "Email",
  phone: "Phone",
  url: "Website (URL)",
  short_text: "Text",
  text: "Text area",
};

export function checkFields(
  ctx: SetupContext,
  spaceLabel: string,
  intake: ListInfo,
  leadLists: Provisioned["leadLists"],
): { fields: Provisioned["fields"]; segmentOptions: Provisioned["segmentOptions"]; stateField: Provisioned["stateField"] } {
  const { step } = ctx;
  const allLeadLabels = SEGMENTS.map((s) => leadLists[s].label).join(", ");
  // Lead custom fields: one field per name, shared by the three New Leads lists.
  const fields: Provisioned["fields"] = {};
  const segmentOptions: Provisioned["segmentOptions"] = {};
  const fieldOnLists = (name: string): Array<{ segment: Segment; field: ClickUpField | undefined }> =>
    SEGMENTS.map((segment) => ({ segment, field: leadLists[segment].fields.find((f) => normalizeName(f.name) === normalizeName(name)) }));
  for (const key of LEAD_FIELD_KEYS) {
    const spec = LEAD_FIELDS[key];
    const typeLabel = `type ${TYPE_LABELS[spec.type]}${"options" in spec ? `, options ${Object.values(spec.options).join(", ")}` : ""}`;
    const create = `Create custom field "${spec.name}" (${typeLabel}) once, with ${spaceLabel} as its location (not a single list), so ${allLeadLabels} share it.`;
    const onLists = fieldOnLists(spec.name);
    const present = onLists.filter((x) => x.field !== undefined);
    if (present.length === 0) {
      step({ kind: "custom_field", where: spaceLabel, instruction: create });
      continue;
    }
    const ids = new Set(present.map((x) => x.field?.id));
    if (present.length < SEGMENTS.length || ids.size > 1) {
      const missingOn = onLists.filter((x) => !x.field).map((x) => leadLists[x.segment].label);
      step({
        kind: "custom_field",
        where: spaceLabel,
        instruction: `Custom field "${spec.name}" is not one field shared by the three lead lists${missingOn.length ? ` (missing on ${missingOn.join(", ")})` : " (each list has its own)"}. ${create} Then remove the list-level copies.`,
      });
      continue;
    }
    const field = present[0]?.field;
    if (!field) continue;
    if (!(spec.accepts as readonly string[]).includes(field.type)) {
      step({
        kind: "custom_field",
        where: spaceLabel,
        instruction: `Custom field "${field.name}" is of type ${TYPE_LABELS[field.type as FieldType] ?? field.type}; the app needs ${spec.accepts.map((t) => TYPE_LABELS[t]).join(" or ")}. Delete it and create it again: ${create}`,
      });
      continue;
    }
    if ("options" in spec) {
      const options = field.type_config?.options ?? [];
      const missing: string[] = [];
      for (const segment of SEGMENTS) {
        const label = spec.options[segment];
        const option = options.find((o) => normalizeName(o.name ?? o.label ?? "") === normalizeName(label) || normalizeName(o.name ?? o.label ?? "") === normalizeName(segment));
        if (option) segmentOptions[segment] = { id: option.id, label: option.name ?? option.label ?? label };
        else missing.push(label);
      }
      if (missing.length > 0) {
        step({ kind: "dropdown_options", where: spaceLabel, instruction: `Add the option${missing.length > 1 ? "s" : ""} ${missing.map((m) => `"${m}"`).join(", ")} to the dropdown field "${field.name}" (${spaceLabel}).` });
        continue;
      }
    }
    fields[key] = { id: field.id, name: field.name, type: field.type };
  }
  const state = intake.fields.find((f) => normalizeName(f.name) === "state");
  const stateField = state ? { id: state.id, name: state.name, type: state.type } : null;
  return { fields, segmentOptions, stateField };
}
