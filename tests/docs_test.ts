// The README and its Traditional Chinese translation stay in step: the same commands, the same
// Pika-to-Deno table, the same sections; and every command they show points at something real.

import { deepEqual, ok } from "node:assert/strict";

const read = (name: string) => Deno.readTextFile(new URL(`../${name}`, import.meta.url));
const english = await read("README.md");
const chinese = await read("README.zh-TW.md");
const tasks = Object.keys(JSON.parse(await read("deno.json")).tasks);

/** The contents of the fenced blocks of one language, in order. */
function blocks(markdown: string, language: string): string[] {
  return [...markdown.matchAll(new RegExp("^```" + language + "\\n([\\s\\S]*?)^```$", "gm"))]
    .map((m) => m[1]!);
}

/** The command lines of the `sh` blocks, comments removed. */
function commands(markdown: string): string[] {
  return blocks(markdown, "sh").flatMap((block) => block.split("\n"))
    .map((line) => line.replace(/\s+#.*$/, "").trim()).filter(Boolean);
}

/** The code spans of the Pika-to-Deno table: [Pika, first Deno span] per row. */
function pikaTable(markdown: string): string[][] {
  return markdown.split("\n")
    .filter((line) => /^\| `(channel|connection|method|ch|for|if|body|auto_ack)/.test(line))
    .map((line) => line.split("|").slice(1, 3).map((cell) => cell.match(/`[^`]+`/)?.[0] ?? ""));
}

Deno.test("README.zh-TW.md shows the same commands, code and output as README.md", () => {
  deepEqual(commands(chinese), commands(english));
  for (const language of ["text", "mermaid"]) {
    deepEqual(blocks(chinese, language), blocks(english, language));
  }
});

Deno.test("README.zh-TW.md has the same Pika-to-Deno table and sections as README.md", () => {
  const table = pikaTable(english);
  ok(table.length >= 15, `only ${table.length} rows found`);
  deepEqual(pikaTable(chinese), table);
  const sections = (markdown: string) => markdown.match(/^#{2,3} /gm)?.length;
  deepEqual(sections(chinese), sections(english));
});

Deno.test("every command in the README names a real file or task", async () => {
  for (const line of commands(english)) {
    const task = line.match(/^deno task (\S+)/)?.[1];
    if (task) ok(tasks.includes(task), `deno task ${task}`);
    const script = line.match(/^deno run (?:-\S+ )*(\S+\.ts)/)?.[1];
    if (script) ok((await Deno.stat(new URL(`../${script}`, import.meta.url))).isFile, script);
  }
});
