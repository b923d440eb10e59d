/**
 * Images a program displays come back as MCP image content (from `result.outputs`, the
 * contract's rich outputs): Python's display() of an object whose _repr_png_ returns PNG
 * bytes, as IPython does it. This needs the Python runtime to fill `result.outputs`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { call, connectStdio, PNG_1X1, textOf, type StdioClient } from "./helpers.js";

let mcp: StdioClient;

beforeAll(async () => {
  mcp = await connectStdio();
});
afterAll(async () => {
  await mcp?.close();
});

describe("image outputs", () => {
  it("returns a displayed PNG as image content", async () => {
    const r = await call(mcp.client, "run_code", {
      language: "python",
      code: [
        "import base64",
        "class Dot:",
        "    def _repr_png_(self):",
        `        return base64.b64decode('${PNG_1X1.toString("base64")}')`,
        "display(Dot())",
        "print('shown')",
      ].join("\n"),
    });
    expect(r.isError, textOf(r)).toBe(false);
    expect(textOf(r)).toContain("shown");
    const images = r.content.filter((c): c is Extract<CallToolResult["content"][number], { type: "image" }> => c.type === "image");
    expect(images).toHaveLength(1);
    expect(images[0]!.mimeType).toBe("image/png");
    expect(Buffer.from(images[0]!.data, "base64").equals(PNG_1X1)).toBe(true);
  });
});
