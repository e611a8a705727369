// Types of the fixture world shared by every provider emulator.

export type Segment = "high-end" | "budget" | "both";
export type CourseType = "private" | "public" | "semi-private" | "resort" | "municipal";
export type VerificationStatus = "valid" | "invalid" | "accept_all" | "webmail" | "disposable" | "unknown";

/** What Hunter knows about a staff member's email. */
export type HunterVisibility =
  /** Listed by domain-search (and found by email-finder). */
  | "domain_search"
  /** Not in domain-search, but email-finder derives it from the domain's pattern. */
  | "email_finder"
  /** Hunter has nothing. */
  | "none";

export interface StaffMember {
  id: string;
  first_name: string;
  last_name: string;
  full_name: string;
  title: string;
  role: "general_manager" | "head_golf_professional" | "director_of_golf" | "superintendent" | "assistant_professional" | "owner" | "director_of_operations";
  /** The real address (null: the person has no findable email). */
  email: string | null;
  /** Whether the email is printed on the course's staff page. */
  email_on_website: boolean;
  hunter: HunterVisibility;
  /** Hunter confidence/score (0–100) when Hunter knows the address. */
  hunter_confidence: number;
  verification: VerificationStatus;
  /** Hunter's verifier answers 202 ("still verifying") this many times before 200. */
  verification_pending_calls?: number;
  phone: string | null;
  phone_type: "direct" | "course" | "mobile" | null;
  linkedin: string | null;
  /** Year they started at this club. */
  start_year: number;
  tenure_years: number;
  previous_clubs: string[];
  /** Set when the person left (the staff page is stale); see messy cases and ./time.ts. */
  left_club?: {
    year: number;
    now_at: string;
    now_title: string;
    /** `id` of the staff member who took over the role, when the world knows one (./time.ts). */
    successor_id?: string;
    /** A readable page (e.g. a news item) that says the person left, when the world has one. */
    evidence_url?: string;
  };
  /** false: the course's staff page no longer lists them (they left and the site was updated). Default true. */
  listed_on_website?: boolean;
}

export interface Opportunities {
  range_ball_buy: number;
  range_ball_lease: number;
  range_ball_recycle: number;
  lake_ball_retrieval: number;
  range_equipment: number;
  proshop_ecommerce: number;
}

export interface WorldPage {
  url: string;
  title: string;
  description: string;
  markdown: string;
  /** ISO date shown as page age / last updated. */
  updated: string;
}

export interface Course {
  id: string;
  name: string;
  /** Two-letter code. */
  state: string;
  state_name: string;
  city: string;
  address: string;
  /** Canonical site URL ("https://www.example.com") or null when the course has no website. */
  website: string | null;
  /** Bare domain ("example.com") or null. */
  domain: string | null;
  /** The main (pro shop / clubhouse) phone. */
  phone: string;
  holes: number;
  type: CourseType;
  founded: number;
  designer: string;
  annual_rounds: number;
  members: number | null;
  green_fee_usd: number | null;
  range: {
    has_range: boolean;
    stations: number;
    surface: "grass" | "mats" | "grass and mats" | "none";
    ball_brand: string | null;
    ball_program: "owned" | "leased" | "unknown";
    balls_on_hand: number;
    notes: string;
  };
  water_hazards: number;
  water_hazard_confidence: "high" | "medium" | "low";
  water_notes: string;
  segment: Segment;
  segment_confidence: number;
  segment_reasoning: string;
  opportunities: Opportunities;
  conversation_starters: Array<{ text: string; score: number }>;
  staff: StaffMember[];
  /** Third-party pages about the course (association listings, news); searchable and readable. */
  external_pages: WorldPage[];
  /** Site pages (empty when there is no website). */
  pages: WorldPage[];
  /** Messy-case tags (see MESSY_CASES). */
  messy: string[];
  /** Jina/Perplexity cannot reach the site (e.g. it is down). */
  site_unreachable?: boolean;
}
