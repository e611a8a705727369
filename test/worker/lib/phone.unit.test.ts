import { describe, expect, it } from "vitest";
import { normalizePhone } from "../../../src/lib/phone.ts";

describe("normalizePhone (libphonenumber-js)", () => {
  it("gives E.164 for US numbers in the shapes pages and reps type", () => {
    for (const shape of ["(804) 592-5861", "804.592.5861", "804-592-5861", "+1 804 592 5861", "1-804-592-5861", "804 592 5861 ext. 12"]) {
      expect(normalizePhone(shape), shape).toBe("+18045925861");
    }
  });

  it("keeps other countries' numbers with their code", () => {
    expect(normalizePhone("+44 20 7946 0958")).toBe("+442079460958");
  });

  it("refuses what is not a phone number", () => {
    for (const junk of ["", "call me", "555-0100", "+1 555 0100", "12", null, undefined]) expect(normalizePhone(junk as string | null), String(junk)).toBeNull();
  });
});
