// Custom fields: the types the project uses and ClickUp's value formats for each.
//
// Writing a value (Create Task `custom_fields: [{id, value}]`, Set Custom Field Value `{value}`):
//   drop_down   the option's UUID (`type_config.options[].id`) or its orderindex; a label is refused
//               with 400 FIELD_011 "Value must be an option index or uuid"
//   number      a JSON number
//   email       a string with a valid address
//   phone       a string with a country code ("+1 804 592 5861"); "804-592-5861" is refused
//   url         a string with an absolute http(s) URL
//   short_text / text   a string
// Reading it back (Get Task, Get Tasks): drop_down → the option's orderindex (a number), number → a
// string ("8"), the rest → the string; an unset field has no `value` key.
// Webhook history items (`field: "custom_field"`) carry the written form: the option UUID for a
// drop-down, the number for a number field.

import { randomUUID } from "node:crypto";
import { ClickUpError, E } from "./errors.ts";

export const FIELD_TYPES = ["drop_down", "number", "email", "phone", "url", "short_text", "text"] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

export interface DropDownOption {
  id: string;
  name: string;
  color: string | null;
  orderindex: number;
}

export interface FieldLocation {
  kind: "team" | "space" | "folder" | "list";
  id: string;
}

export interface CustomField {
  id: string;
  name: string;
  type: FieldType;
  type_config: { options?: DropDownOption[]; precision?: number; placeholder?: string | null };
  date_created: number;
  hide_from_guests: boolean;
  required: boolean;
  location: FieldLocation;
}

/** The canonical stored form: option UUID for drop_down, number for number, string otherwise. */
export type StoredValue = string | number;

export interface FieldSpec {
  id?: string;
  name: string;
  type: FieldType;
  /** drop_down options: labels, or objects with fixed ids/colors. */
  options?: Array<string | { id?: string; name: string; color?: string | null }>;
  required?: boolean;
}

const OPTION_COLORS = ["#1bbc9c", "#2ecd6f", "#f9d900", "#e50000", "#667684", "#7b68ee", "#ff7800", "#0231e8"];

export function makeField(spec: FieldSpec, location: FieldLocation, now: number): CustomField {
  if (!FIELD_TYPES.includes(spec.type)) throw new Error(`unsupported custom field type: ${String(spec.type)}`);
  const field: CustomField = {
    id: spec.id ?? randomUUID(),
    name: spec.name,
    type: spec.type,
    type_config: {},
    date_created: now,
    hide_from_guests: false,
    required: spec.required ?? false,
    location,
  };
  if (spec.type === "drop_down") {
    field.type_config = {
      options: (spec.options ?? []).map((o, i) => {
        const opt = typeof o === "string" ? { name: o } : o;
        return {
          id: opt.id ?? randomUUID(),
          name: opt.name,
          color: opt.color === undefined ? (OPTION_COLORS[i % OPTION_COLORS.length] ?? null) : opt.color,
          orderindex: i,
        };
      }),
    };
  } else if (spec.type === "number") field.type_config = { precision: 0 };
  return field;
}

const EMAIL_RE = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;
const PHONE_RE = /^\+[0-9][0-9 ()\-.]*[0-9]$/;

function isUrl(v: string): boolean {
  if (!URL.canParse(v)) return false;
  const u = new URL(v);
  return (u.protocol === "http:" || u.protocol === "https:") && u.hostname.includes(".");
}

/**
 * Validates a written value and returns its stored form. `acceptLabel` lets the `*AsUser` helpers
 * pick a drop-down option by its label, as a person does in the UI; the API never accepts a label.
 */
export function normalizeValue(field: CustomField, value: unknown, acceptLabel = false): StoredValue {
  switch (field.type) {
    case "drop_down": {
      const options = field.type_config.options ?? [];
      if (typeof value === "string") {
        const byId = options.find((o) => o.id === value);
        if (byId) return byId.id;
        if (acceptLabel) {
          const byName = options.find((o) => o.name.toLowerCase() === value.toLowerCase());
          if (byName) return byName.id;
        }
        throw E.dropDownValue();
      }
      if (typeof value === "number" && Number.isInteger(value)) {
        const byIndex = options.find((o) => o.orderindex === value);
        if (byIndex) return byIndex.id;
      }
      throw E.dropDownValue();
    }
    case "number":
      if (typeof value === "number" && Number.isFinite(value)) return value;
      throw E.fieldValue("number", "value must be a number", "FIELD_012");
    case "email":
      if (typeof value === "string" && EMAIL_RE.test(value.trim())) return value.trim();
      throw E.fieldValue("email", "value is not a valid email address", "FIELD_013");
    case "phone": {
      if (typeof value === "string") {
        const v = value.trim();
        const digits = v.replace(/\D/g, "").length;
        if (PHONE_RE.test(v) && digits >= 8 && digits <= 15) return v;
      }
      throw E.fieldValue("phone", "value must be a phone number with a valid country code, e.g. +1 123 456 7890", "FIELD_014");
    }
    case "url":
      if (typeof value === "string" && isUrl(value.trim())) return value.trim();
      throw E.fieldValue("url", "value is not a valid URL", "FIELD_015");
    case "short_text":
    case "text":
      if (typeof value === "string") return value;
      throw E.fieldValue(field.type, "value must be a string", "FIELD_016");
  }
}

/** The value as Get Task shows it. */
export function readValue(field: CustomField, stored: StoredValue): string | number {
  if (field.type === "drop_down") {
    const opt = field.type_config.options?.find((o) => o.id === stored);
    return opt ? opt.orderindex : -1;
  }
  if (field.type === "number") return String(stored);
  return stored;
}

export function fieldJson(field: CustomField, opts: { stored?: StoredValue | undefined; withValue?: boolean } = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: field.id,
    name: field.name,
    type: field.type,
    type_config: structuredClone(field.type_config),
    date_created: String(field.date_created),
    hide_from_guests: field.hide_from_guests,
  };
  if (opts.withValue) {
    if (opts.stored !== undefined) out.value = readValue(field, opts.stored);
    out.required = field.required;
  }
  return out;
}

export function isClickUpError(e: unknown): e is ClickUpError {
  return e instanceof ClickUpError;
}
