/// <reference types="vite/client" />
// Composing outreach emails in workerd: escaping, threading, the compliance footer, variables, and the seeded templates.
import { describe, expect, it } from "vitest";
import seedSql from "../../../migrations/20261202000300_outreach_templates.sql?raw";
import { composeEmail, firstName, outreachMessageId, outreachVariables, type ComposeInput, type OutreachStep, type OutreachVariables } from "../../../src/outreach/compose.ts";

const UNSUBSCRIBE = { url: "https://app.example.com/unsubscribe/TOKEN123", mailto: "unsubscribe@mail.example.com" };

function variables(overrides: Partial<OutreachVariables> = {}): OutreachVariables {
  return {
    ...outreachVariables({
      contact: { full_name: "Dr. Jane Q. Doe Jr.", title: "Director of Golf" },
      course: { name: "Pine Valley", city: "Pine Valley", state: "NJ" },
      intel: {
        conversation_starters: [
          { text: "Saw your new range tees.", score: 6 },
          { text: "Congratulations on hosting the state amateur.", score: 9 },
        ],
        opportunities: { range_ball_buy: 6, range_ball_lease: 9, range_equipment: 7 },
      },
      rep: { name: "Sam Rep", signature: "Sam Rep\nRange Supply Co." },
      company_name: "Range Supply Co.",
      unsubscribe_url: UNSUBSCRIBE.url,
      postal_address: "1 Fairway Road, Pinehurst, NC 28374",
    }),
    ...overrides,
  };
}

function input(overrides: Partial<ComposeInput> = {}, step: OutreachStep = 1): ComposeInput {
  return {
    template: { segment: "budget", step, subject: "Hello {{course_name}}", body: "Hi {{first_name}},\n\n{{top_starter}}\n\n{{rep_signature}}" },
    variables: variables(),
    messageId: outreachMessageId("seq-1", step, "mail.example.com"),
    thread: step === 1 ? undefined : { firstMessageId: "<outreach.seq-1.1@mail.example.com>", firstSubject: "Hello Pine Valley" },
    from: "Sam Rep <sam@mail.example.com>",
    to: "jane@pinevalley.example",
    replyTo: "sam@mail.example.com",
    unsubscribe: UNSUBSCRIBE,
    ...overrides,
  };
}

describe("outreachVariables", () => {
  it("sorts starters and opportunities by score and skips honorifics and suffixes in the first name", () => {
    const v = variables();
    expect(v.first_name).toBe("Jane");
    expect(v.top_starter).toBe("Congratulations on hosting the state amateur.");
    expect(v.second_starter).toBe("Saw your new range tees.");
    expect(v.starters).toEqual(["Congratulations on hosting the state amateur.", "Saw your new range tees."]);
    expect(v.top_opportunity).toBe("leasing range balls");
    expect(v.second_opportunity).toBe("range equipment (mats, pickers, dispensers)");
  });

  it.each([
    ["Mr. John Smith", "John"],
    ["John Smith Jr.", "John"],
    ["Smith, John", "John"],
    ["John Smith, Jr.", "John"],
    ["Jr. Smith", "Smith"],
    ["  Maria  ", "Maria"],
    ["", ""],
  ])("first name of %j is %j", (full, first) => {
    expect(firstName(full)).toBe(first);
  });

  it("without intel, starters and opportunities are empty", () => {
    const v = outreachVariables({
      contact: { full_name: "Pat Lee", title: null },
      course: { name: "Muni Links", city: null, state: "TX" },
      intel: null,
      rep: { name: "Sam Rep", signature: "" },
      company_name: "Range Supply Co.",
      unsubscribe_url: UNSUBSCRIBE.url,
      postal_address: "1 Fairway Road",
    });
    expect(v).toMatchObject({ title: "", course_city: "", top_starter: "", second_opportunity: "", starters: [], rep_signature: "Sam Rep" });
  });
});

describe("composeEmail", () => {
  it("escapes a starter in the HTML part and keeps it raw in the text part", () => {
    const email = composeEmail(input({ variables: variables({ top_starter: `<script>alert("x")</script> & more` }) }));
    expect(email.html).not.toContain("<script>");
    expect(email.html).toContain("&lt;script&gt;");
    expect(email.html).toContain("&amp; more");
    expect(email.text).toContain(`<script>alert("x")</script> & more`);
  });

  it("escapes even a triple-brace variable and literal markup in the template's HTML part", () => {
    const template = { segment: "both", step: 1 as const, subject: "S", body: "<b>bold</b> {{{top_starter}}}" };
    const email = composeEmail(input({ template, variables: variables({ top_starter: "<img src=x onerror=alert(1)>" }) }));
    expect(email.html).not.toMatch(/<b>|<img/);
    expect(email.text).toContain("<b>bold</b> <img src=x onerror=alert(1)>");
  });

  it("turns blank-line paragraphs into <p> and line breaks into <br>", () => {
    const email = composeEmail(input());
    expect(email.html).toContain("<p>Hi Jane,</p>");
    expect(email.html).toContain("<p>Sam Rep<br>\nRange Supply Co.</p>");
  });

  it("step 1 renders its own subject and has no threading headers", () => {
    const email = composeEmail(input());
    expect(email.subject).toBe("Hello Pine Valley");
    expect(email.headers["In-Reply-To"]).toBeUndefined();
    expect(email.headers.References).toBeUndefined();
    expect(email.headers["Message-Id"]).toBe("<outreach.seq-1.1@mail.example.com>");
  });

  it.each([2, 3] as const)("step %i replies in the first email's thread", (step) => {
    const email = composeEmail(input({}, step));
    expect(email.subject).toBe("Re: Hello Pine Valley");
    expect(email.headers["In-Reply-To"]).toBe("<outreach.seq-1.1@mail.example.com>");
    expect(email.headers.References).toBe("<outreach.seq-1.1@mail.example.com>");
    expect(email.headers["Message-Id"]).toBe(`<outreach.seq-1.${step}@mail.example.com>`);
  });

  it("does not double Re: when the first subject already has it", () => {
    const email = composeEmail(input({ thread: { firstMessageId: "<a@b>", firstSubject: "RE: Re: Hello" } }, 3));
    expect(email.subject).toBe("Re: Hello");
  });

  it("refuses a follow-up without its thread", () => {
    expect(() => composeEmail(input({ thread: undefined }, 2))).toThrow(/budget step 2: a follow-up needs/);
  });

  it("always sets Reply-To and the RFC 8058 one-click headers", () => {
    const { headers } = composeEmail(input());
    expect(headers["Reply-To"]).toBe("sam@mail.example.com");
    expect(headers["List-Unsubscribe"]).toBe("<https://app.example.com/unsubscribe/TOKEN123>, <mailto:unsubscribe@mail.example.com?subject=unsubscribe>");
    expect(headers["List-Unsubscribe-Post"]).toBe("List-Unsubscribe=One-Click");
  });

  it("appends the postal address and unsubscribe link to both parts even when the template has neither", () => {
    const email = composeEmail(input({ template: { segment: "high-end", step: 1, subject: "S", body: "Just a body." } }));
    expect(email.text).toContain("1 Fairway Road, Pinehurst, NC 28374");
    expect(email.text).toContain("unsubscribe: https://app.example.com/unsubscribe/TOKEN123");
    expect(email.html).toContain("1 Fairway Road, Pinehurst, NC 28374");
    expect(email.html).toContain(`<a href="https:&#x2F;&#x2F;app.example.com&#x2F;unsubscribe&#x2F;TOKEN123">unsubscribe</a>`);
  });

  it.each([
    [{ variables: variables({ postal_address: "  " }) }, /without a postal address/],
    [{ unsubscribe: { url: "", mailto: "x@y.z" } }, /without an unsubscribe URL/],
  ])("refuses to compose without the compliance details", (overrides, reason) => {
    expect(() => composeEmail(input(overrides))).toThrow(reason);
  });

  it("renders a missing variable as empty, never as its tag", () => {
    const template = { segment: "both", step: 1 as const, subject: "Hi {{nickname}}", body: "A{{nickname}}B {{constructor}} {{__proto__}}" };
    const email = composeEmail(input({ template }));
    expect(email.subject).toBe("Hi");
    expect(email.text.startsWith("AB")).toBe(true);
    expect(email.text).not.toMatch(/\{\{|nickname|function|object/i);
  });

  it("names the segment and step when a template does not parse", () => {
    const template = { segment: "high-end", step: 2 as const, subject: "S", body: "Hi {{first_name" };
    expect(() => composeEmail(input({ template }, 2))).toThrow(/outreach template high-end step 2: the body does not parse/);
  });

  it("refuses header values with line breaks", () => {
    expect(() => composeEmail(input({ to: "a@b.c\r\nBcc: x@y.z" }))).toThrow(/To contains a line break/);
  });
});

describe("outreachMessageId", () => {
  it("is deterministic per sequence and step", () => {
    expect(outreachMessageId("3f1c-uuid", 2, "mail.example.com")).toBe("<outreach.3f1c-uuid.2@mail.example.com>");
    expect(outreachMessageId("3f1c-uuid", 2, "mail.example.com")).toBe(outreachMessageId("3f1c-uuid", 2, "mail.example.com"));
    expect(outreachMessageId("3f1c-uuid", 3, "mail.example.com")).not.toBe(outreachMessageId("3f1c-uuid", 2, "mail.example.com"));
  });

  it("refuses ids that would break the header", () => {
    expect(() => outreachMessageId("a>b", 1, "x.com")).toThrow();
    expect(() => outreachMessageId("a", 4, "x.com")).toThrow();
    expect(() => outreachMessageId("a", 1, "x@y")).toThrow();
  });
});

describe("the seeded templates", () => {
  // Rows of the migration's insert: ('segment', step, $subject$…$subject$, $body$…$body$, true).
  const rows = [...seedSql.matchAll(/\('([a-z-]+)', (\d), \$subject\$([\s\S]*?)\$subject\$, \$body\$([\s\S]*?)\$body\$, true\)/g)].map((m) => ({
    segment: m[1] ?? "",
    step: Number(m[2]) as OutreachStep,
    subject: m[3] ?? "",
    body: m[4] ?? "",
  }));

  it("are the 9 segment × step combinations", () => {
    expect(rows.map((r) => `${r.segment}/${r.step}`).sort()).toEqual(
      ["both", "budget", "high-end"].flatMap((s) => [1, 2, 3].map((n) => `${s}/${n}`)).sort(),
    );
  });

  it("never carry the postal address or unsubscribe link themselves (the footer does)", () => {
    for (const row of rows) expect(`${row.subject}${row.body}`).not.toMatch(/postal_address|unsubscribe_url/);
  });

  it.each(["with intel", "without intel"])("each renders %s, signed and with no tag left", (mode) => {
    const v = mode === "with intel" ? variables() : variables({ top_starter: "", second_starter: "", starters: [], top_opportunity: "", second_opportunity: "" });
    for (const row of rows) {
      const email = composeEmail(input({ template: row, variables: v }, row.step));
      expect(email.text).not.toContain("{{");
      expect(email.html).not.toContain("{{");
      expect(email.text).toContain("Hi Jane,");
      expect(email.text).toContain("Sam Rep\nRange Supply Co.");
      expect(email.text).not.toMatch(/\n{3,}/);
      if (row.step === 1) expect(email.subject).toContain("Pine Valley");
      else expect(email.subject).toBe("Re: Hello Pine Valley");
      if (mode === "with intel" && row.step === 1) expect(email.text).toContain("Congratulations on hosting the state amateur.");
      if (mode === "with intel" && row.step === 2) expect(email.text).toContain("range equipment (mats, pickers, dispensers)");
    }
  });
});
