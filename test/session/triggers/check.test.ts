import { describe, expect, it } from "vitest";
import { checkTriggers } from "../../../src/config/trigger-check.ts";
import { TriggerRuleSchema, TriggersSchema } from "../../../src/config/trigger-schema.ts";
import { rules } from "./fixtures.ts";

const paths = (issues: { path: string }[]) => issues.map((i) => i.path);

describe("TriggersSchema", () => {
  it("fills defaults and normalizes sources and ids", () => {
    const [rule] = TriggersSchema.parse([
      {
        id: "ask",
        workflow: "chat",
        match: { source: "demo-bot", chats: { allow: [-100123] } },
        onBusy: "collect",
        collect: { collectMs: "1.5s", maxDelayMs: 5000 },
      },
    ]);
    expect(rule).toMatchObject({
      priority: 0,
      onBusy: "collect",
      match: { source: ["demo-bot"], chats: { allow: ["-100123"], deny: [] } },
      collect: { collectMs: 1500, maxDelayMs: 5000 },
    });
    expect(TriggerRuleSchema.parse({ id: "all", workflow: "chat" })).toMatchObject({
      onBusy: "queue",
      match: {},
    });
  });

  it("rejects bad shapes with the path of the offending key", () => {
    const result = TriggersSchema.safeParse([
      { id: "ok", workflow: "chat" },
      { id: "Bad Id", workflow: "chat" },
      { id: "x", workflow: "chat", match: { command: "/ask me", colour: "red" } },
      { id: "y", workflow: "chat", onBusy: "drop", collect: { maxDelayMs: 10 } },
    ]);
    expect(result.success).toBe(false);
    const issues = result.error?.issues.map((i) => i.path.join(".")) ?? [];
    expect(issues).toEqual(
      expect.arrayContaining(["1.id", "2.match.command", "2.match", "3.onBusy", "3.collect.collectMs"]),
    );
  });
});

describe("checkTriggers", () => {
  it("accepts a valid set of rules", () => {
    const rs = rules(
      { id: "ask", match: { command: "/ask", text: "(?i)refund", when: "event.text.size() > 3" } },
      {
        id: "burst",
        onBusy: "collect",
        collect: { collectMs: 1500, maxDelayMs: 5000 },
        input: { q: "{{ event.text }}" },
      },
    );
    expect(checkTriggers(rs, ["chat"])).toEqual([]);
  });

  it("reports an unknown workflow and a duplicate id with their paths", () => {
    const issues = checkTriggers(rules({ id: "a" }, { id: "b", workflow: "nope" }, { id: "a" }), ["chat"]);
    expect(paths(issues)).toEqual(["triggers[1].workflow", "triggers[2].id"]);
    expect(issues[0]?.message).toContain('no workflow "nope"');
    expect(issues[0]?.message).toContain("known: chat");
    expect(issues[1]?.message).toContain("triggers[0]");
    expect(issues[1]?.segments).toEqual(["triggers", 2, "id"]);
  });

  it("rejects patterns RE2 cannot run in linear time, and broken ones", () => {
    const issues = checkTriggers(
      rules(
        { id: "a", match: { text: "(?<=a)b" } },
        { id: "b", match: { text: "(a)\\1" } },
        { id: "c", match: { text: "[" } },
        { id: "d", match: { text: "^\\d+$" } },
      ),
      ["chat"],
    );
    expect(paths(issues)).toEqual([
      "triggers[0].match.text",
      "triggers[1].match.text",
      "triggers[2].match.text",
    ]);
    expect(issues[0]?.message).toMatch(/RE2/);
  });

  it("reports invalid CEL in when and in input templates", () => {
    const issues = checkTriggers(
      rules(
        { id: "a", match: { when: "event.text.size( >" } },
        { id: "b", input: { nested: ["ok", "{{ event.text +"] } },
      ),
      ["chat"],
    );
    expect(paths(issues)).toEqual(["triggers[0].match.when", "triggers[1].input.nested[1]"]);
  });

  it("requires collect options for onBusy collect and refuses options for another policy", () => {
    const issues = checkTriggers(
      rules(
        { id: "a", onBusy: "collect" },
        { id: "b", onBusy: "steer", collect: { collectMs: 100 } },
        { id: "c", onBusy: "interrupt", queue: { maxDepth: 3 } },
        { id: "d", onBusy: "collect", collect: { collectMs: 2000, maxDelayMs: 1000 } },
      ),
      ["chat"],
    );
    expect(paths(issues)).toEqual([
      "triggers[0].collect",
      "triggers[1].collect",
      "triggers[2].queue",
      "triggers[3].collect.maxDelayMs",
    ]);
    expect(issues[0]?.message).toContain("collectMs");
  });
});
