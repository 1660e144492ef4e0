import { describe, expect, it } from "vitest";
import {
  GRAPH_VERSIONS,
  graphVersionVerdict,
  NEWEST_GRAPH_VERSION,
} from "../../../src/config/graph-versions.ts";
import { WhatsAppSource } from "../../../src/config/schema.ts";

const day = (iso: string) => Date.parse(`${iso}T12:00:00Z`);

describe("Graph API versions", () => {
  it("records v21.0's expiry and v26.0 as the newest, which is the WhatsApp default", () => {
    expect(GRAPH_VERSIONS["v21.0"]).toEqual({ expires: "2027-01-21" });
    expect(GRAPH_VERSIONS["v26.0"]).toEqual({ released: "2026-07-29" });
    const source = WhatsAppSource.parse({ channel: "whatsapp", appSecretEnv: "A", verifyTokenEnv: "B" });
    expect(source.graphVersion).toBe(NEWEST_GRAPH_VERSION);
    expect(NEWEST_GRAPH_VERSION).toBe("v26.0");
  });

  it("is fine long before expiry, warns 90 days ahead, fails after the last day", () => {
    expect(graphVersionVerdict("v21.0", day("2026-10-01")).level).toBe("ok");
    const soon = graphVersionVerdict("v21.0", day("2026-11-30"));
    expect(soon).toMatchObject({
      level: "warn",
      message: "Graph API v21.0 expires on 2027-01-21 (in 53 days)",
    });
    expect(graphVersionVerdict("v21.0", day("2027-01-21")).level).toBe("warn");
    const gone = graphVersionVerdict("v21.0", day("2027-01-22"));
    expect(gone.level).toBe("fail");
    expect(gone.level !== "ok" && gone.fix).toContain("graphVersion: v26.0");
  });

  it("says a version without recorded dates is unknown, and the newest is ok", () => {
    expect(graphVersionVerdict("v23.0", day("2026-11-30"))).toMatchObject({ level: "warn" });
    expect(graphVersionVerdict("v26.0", day("2026-11-30"))).toMatchObject({ level: "ok" });
  });
});
