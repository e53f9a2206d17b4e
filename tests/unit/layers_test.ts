// lib/ in layers that import only downward: transport (bytes and frames) under amqp (queues,
// publishing, consuming, reconnects) under cli (flags, exit codes, output). The two lower
// layers never print, never exit, and never import an upper one.

import { deepEqual } from "node:assert/strict";

const LIB = new URL("../../lib/", import.meta.url);
const ORDER = ["transport", "amqp", "cli"] as const;

/** The source of each .ts file of `layer`, comments and doc examples removed. */
async function sources(layer: string): Promise<[string, string][]> {
  const files: [string, string][] = [];
  for await (const entry of Deno.readDir(new URL(`${layer}/`, LIB))) {
    if (!entry.name.endsWith(".ts")) continue;
    const text = await Deno.readTextFile(new URL(`${layer}/${entry.name}`, LIB));
    const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
    files.push([`${layer}/${entry.name}`, code]);
  }
  return files;
}

Deno.test("lib/transport and lib/amqp never print, never exit, and import only downward", async () => {
  const problems: string[] = [];
  for (const [rank, layer] of ORDER.entries()) {
    for (const [file, code] of await sources(layer)) {
      for (const [, path] of code.matchAll(/from "(\.\.?\/[^"]+)"/g)) {
        const target = new URL(path!, new URL(`${file}`, LIB)).pathname;
        const above = ORDER.slice(rank + 1).find((upper) => target.includes(`/lib/${upper}/`));
        if (above || target.endsWith("/lib/mod.ts")) problems.push(`${file} imports ${path}`);
      }
      if (layer === "cli") continue;
      for (const use of code.match(/\bconsole\.\w+|Deno\.(stdout|stderr|exit)\b/g) ?? []) {
        problems.push(`${file} uses ${use}`);
      }
    }
  }
  deepEqual(problems, []);
});

Deno.test("only lib/transport/internals.ts casts the client library's objects to reach its fields", async () => {
  const casts: string[] = [];
  for (const layer of ORDER) {
    for (const [file, code] of await sources(layer)) {
      if (/as unknown as (?!Promise)/.test(code) && file !== "transport/internals.ts") {
        casts.push(file);
      }
    }
  }
  deepEqual(casts, []);
});
