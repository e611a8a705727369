import { describe, expect, it } from "vitest";
import { isRoleAddress, leadDescription, type LeadContact, type LeadCourse, mailboxesOf } from "../../../src/clickup/lead-content.ts";

const course: LeadCourse = { course_name: "Pine Valley Golf Club", state: "OH", website: "https://www.pinevalleygolfohio.com", water_hazard_count: 3, water_hazard_confidence: "high" };
const contact = (name: string, title: string, email: string | null): LeadContact => ({
  name, title, email, email_status: "valid", phone: null, phone_source: null, linkedin_url: null, tenure_years: null, previous_clubs: [], sources: [],
});

describe("shared and role mailboxes (unit)", () => {
  it("knows role addresses (general and golf), whatever their spelling", () => {
    for (const email of ["info@club.com", "ProShop@club.com", "pro.shop@club.com", "golf@club.com", "pro@club.com", "office@club.com", "membership@club.com", "golf-shop+news@club.com", "info2@club.com"]) {
      expect(isRoleAddress(email), email).toBe(true);
    }
    for (const email of ["jkowalski@club.com", "jenna.kowalski@club.com", "profoster@club.com", "not-an-address"]) expect(isRoleAddress(email), email).toBe(false);
  });

  it("flags each contact that shares an address with the others, and a role address alone", () => {
    const boxes = mailboxesOf([
      { key: "jenna", name: "Jenna Kowalski", title: "Head Golf Professional", email: "proshop@pinevalleygolfohio.com" },
      { key: "tyler", name: "Tyler Brandt", title: "Assistant Golf Professional", email: "ProShop@pinevalleygolfohio.com " },
      { key: "rick", name: "Rick Sommers", title: "Owner", email: "rsommers@pinevalleygolfohio.com" },
      { key: "gm", name: "Dana Cole", title: "General Manager", email: "info@pinevalleygolfohio.com" },
      { key: "none", name: "No Email", title: "Superintendent", email: null },
      { key: "a", name: "Ann Lee", title: "", email: "alee@pinevalleygolfohio.com" },
      { key: "b", name: "Bo Lee", title: "Director of Golf", email: "alee@pinevalleygolfohio.com" },
    ]);
    expect(boxes.get("jenna")).toEqual({ role: true, shared_with: ["Tyler Brandt (Assistant Golf Professional)"] });
    expect(boxes.get("tyler")).toEqual({ role: true, shared_with: ["Jenna Kowalski (Head Golf Professional)"] });
    expect(boxes.get("gm")).toEqual({ role: true, shared_with: [] });
    expect(boxes.get("a")).toEqual({ role: false, shared_with: ["Bo Lee (Director of Golf)"] });
    expect(boxes.get("b")).toEqual({ role: false, shared_with: ["Ann Lee"] });
    expect(boxes.has("rick")).toBe(false);
    expect(boxes.has("none")).toBe(false);
  });

  it("the lead task says so first, before anything else, and on the email line", () => {
    const jenna = { ...contact("Jenna Kowalski", "Head Golf Professional", "proshop@pinevalleygolfohio.com"), mailbox: { role: true, shared_with: ["Tyler Brandt (Assistant Golf Professional)"] } };
    const text = leadDescription(jenna, course, null);
    expect(text.startsWith("## Before You Write\n- **Role address:** proshop@pinevalleygolfohio.com is a general mailbox (proshop@), not Jenna Kowalski's own")).toBe(true);
    expect(text).toContain("- **Shared address:** Tyler Brandt (Assistant Golf Professional) has the same address, on their own lead task. An email to it reaches all of them: write once, not to each.");
    expect(text).toContain("- **Email:** proshop@pinevalleygolfohio.com (valid) — role address, shared");
    // A personal address changes nothing.
    expect(leadDescription(contact("Rick Sommers", "Owner", "rsommers@pinevalleygolfohio.com"), course, null)).not.toMatch(/Before You Write|role address|shared/);
  });
});
