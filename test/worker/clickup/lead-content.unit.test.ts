import { describe, expect, it } from "vitest";
import { internationalPhone } from "../../../src/lib/phone.ts";
import { changedFields, leadDescription, leadFieldValues, leadTaskName, type LeadContact, type LeadCourse, type LeadIntel } from "../../../src/clickup/lead-content.ts";

const course: LeadCourse = { course_name: "Richmond Country Club", state: "VA", website: "https://www.richmondcountryclubva.com", water_hazard_count: 7, water_hazard_confidence: "low" };
const contact: LeadContact = {
  name: "Stacy Foster", title: "General Manager", email: "sfoster@richmondcountryclubva.com", email_status: "valid", phone: "+18045925861",
  phone_source: "website", linkedin_url: "https://www.linkedin.com/in/stacy-foster-rcc", tenure_years: 9, previous_clubs: ["James River Golf Club"], sources: [],
};
const intel: LeadIntel = {
  segment: "high-end", segment_confidence: 8, segment_reasoning: "Private club", summary: "Private member club.",
  opportunities: { range_ball_buy: 8, range_ball_lease: 9, range_ball_recycle: 3, lake_ball_retrieval: 6, range_equipment: 4, proshop_ecommerce: 2 },
  conversation_starters: [{ text: "I noticed Richmond Country Club...", score: 9 }, { text: "Many premium clubs are exploring...", score: 8 }],
};

describe("lead task content (unit)", () => {
  it("names the task as the seed does and fills every field, drop-downs by option id, phones with a country code", () => {
    expect(leadTaskName(contact, course)).toBe("Stacy Foster - General Manager | Richmond Country Club");
    expect(leadFieldValues(contact, course, intel, { "high-end": "opt-high", budget: "opt-budget", both: "opt-both" })).toEqual({
      course: "Richmond Country Club", website: course.website, email: contact.email, phone: "+1 804 592 5861", linkedin: contact.linkedin_url,
      segment: "opt-high", confidence: 8, top_opp_1: "Range ball lease", top_opp_1_score: 9, top_opp_2: "Range ball buy", top_opp_2_score: 8,
    });
    // libphonenumber's grouping for every country; an unreadable value is passed through.
    expect(internationalPhone("+442071234567")).toBe("+44 20 7123 4567");
    expect(internationalPhone("+15555550123")).toBe("+1 555 555 0123");
    expect(internationalPhone("not a phone")).toBe("not a phone");
  });

  it("writes the conversation starters with their scores first, then the intel and the sources", () => {
    const text = leadDescription(contact, course, intel);
    expect(text.startsWith("## Pre-Written Conversation Starters\n1. [9/10] \"I noticed Richmond Country Club...\"\n2. [8/10]")).toBe(true);
    expect(text).toContain("**Segment:** High-End (8/10)");
    expect(text).toContain("**Water hazards:** 7 (low confidence)");
    expect(text).toContain("## Sources\n- https://www.richmondcountryclubva.com");
  });

  it("only fields whose value changed are rewritten", () => {
    const previous = leadFieldValues(contact, course, intel, { "high-end": "opt-high" });
    const moved = leadFieldValues({ ...contact, phone: "+18045550000" }, course, { ...intel, segment_confidence: 9 }, { "high-end": "opt-high" });
    expect(changedFields(moved, previous).sort()).toEqual(["confidence", "phone"]);
    expect(changedFields(previous, previous)).toEqual([]);
  });
});
