// The documentation stays true and in step. Every Markdown file (README.md, CONTRIBUTING.md,
// docs/**/*.md, patterns/*/README.md, and any added later) has a Traditional Chinese twin that
// shows the same commands, output, code and diagrams under as many sections; every command
// names a real file or task; every relative link resolves; the READMEs stay short; and the
// README's snippets are runs of the example files' own lines.

import { deepEqual, ok } from "node:assert/strict";
import { dirname, join, normalize } from "node:path";

const ROOT = new URL("../..", import.meta.url).pathname;
const read = (path: string) => Deno.readTextFile(join(ROOT, path));
const exists = (path: string) => Deno.stat(join(ROOT, path)).then(() => true, () => false);
const tasks = Object.keys(JSON.parse(await read("deno.json")).tasks);

/** Every Markdown file of the repository, as a path from its root; dot folders left out. */
async function markdownFiles(folder = ""): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(join(ROOT, folder))) {
    const path = folder ? `${folder}/${entry.name}` : entry.name;
    if (entry.isDirectory && !entry.name.startsWith(".") && entry.name !== "node_modules") {
      found.push(...await markdownFiles(path));
    } else if (entry.isFile && entry.name.endsWith(".md")) found.push(path);
  }
  return found.toSorted();
}

/** Whether `path` is a translation: `NAME.zh-TW.md`, or a page under docs/zh-TW/. */
const isTranslation = (path: string) =>
  path.endsWith(".zh-TW.md") || path.startsWith("docs/zh-TW/");

/** The Traditional Chinese twin of an English page. */
function twinOf(path: string): string {
  return path.startsWith("docs/")
    ? `docs/zh-TW/${path.slice("docs/".length)}`
    : path.replace(/\.md$/, ".zh-TW.md");
}

const all = await markdownFiles();
const english = all.filter((path) => !isTranslation(path));
const pages = new Map(
  await Promise.all(all.map(async (path) => [path, await read(path)] as const)),
);
const page = (path: string) => pages.get(path)!;

/** The text outside fenced code blocks. */
const prose = (markdown: string) => markdown.replace(/^```[^\n]*\n[\s\S]*?^```$/gm, "");

/** The contents of the fenced blocks of one language (its info string's first word), in order. */
function blocks(markdown: string, language: string): string[] {
  return [
    ...markdown.matchAll(new RegExp("^```" + language + "( [^\\n]*)?\\n([\\s\\S]*?)^```$", "gm")),
  ]
    .map((m) => m[2]!);
}

/** The command lines of the `sh` blocks, comments removed. */
function commands(markdown: string): string[] {
  return blocks(markdown, "sh").flatMap((block) => block.split("\n"))
    .map((line) => line.replace(/\s+#.*$/, "").trim()).filter(Boolean);
}

/** The levels of the `##` and `###` headings, in order (`["##", "###", ...]`). */
const sections = (markdown: string) => prose(markdown).match(/^#{2,3}(?= )/gm) ?? [];

/** The code spans of a Pika-to-Deno table: [Pika, first Deno span] per row. */
function pikaTable(markdown: string): string[][] {
  return markdown.split("\n")
    .filter((line) => /^\| `(channel|connection|method|ch|for|if|body|auto_ack)/.test(line))
    .map((line) => line.split("|").slice(1, 3).map((cell) => cell.match(/`[^`]+`/)?.[0] ?? ""));
}

Deno.test("the documentation walk finds every page: the READMEs, CONTRIBUTING, docs/, patterns/", async () => {
  for (const path of ["README.md", "CONTRIBUTING.md", "docs/library.md", "docs/transport.md"]) {
    ok(english.includes(path), `${path} not found`);
  }
  for await (const entry of Deno.readDir(join(ROOT, "patterns"))) {
    if (entry.isDirectory) ok(english.includes(`patterns/${entry.name}/README.md`), entry.name);
  }
});

Deno.test("every Markdown file has its zh-TW twin, and every translation an English page", () => {
  for (const path of english) ok(pages.has(twinOf(path)), `${path} has no ${twinOf(path)}`);
  const twins = new Set(english.map(twinOf));
  for (const path of all.filter(isTranslation)) ok(twins.has(path), `${path} translates nothing`);
});

Deno.test("each zh-TW twin shows the same commands, output, code and diagrams, in as many sections", async (t) => {
  for (const path of english) {
    const twin = twinOf(path);
    if (!pages.has(twin)) continue; // reported by the test above
    await t.step(twin, () => {
      const [en, zh] = [page(path), page(twin)];
      deepEqual(commands(zh), commands(en), "the sh blocks");
      for (const language of ["text", "mermaid", "python", "ts"]) {
        deepEqual(blocks(zh, language), blocks(en, language), `the ${language} blocks`);
      }
      deepEqual(sections(zh), sections(en), "the ## and ### sections");
      deepEqual(pikaTable(zh), pikaTable(en), "the Pika-to-Deno table");
    });
  }
});

Deno.test("the Pika-to-Deno page has its table, call by call", () => {
  const table = pikaTable(page("docs/pika-to-deno.md"));
  ok(table.length >= 15, `only ${table.length} rows found`);
});

Deno.test("README.md and README.zh-TW.md are 150 lines or fewer", () => {
  for (const path of ["README.md", "README.zh-TW.md"]) {
    const lines = page(path).split("\n").length - (page(path).endsWith("\n") ? 1 : 0);
    ok(lines <= 150, `${path} has ${lines} lines`);
  }
});

Deno.test("every command in the documentation names a real file or task", async (t) => {
  for (const path of all) {
    await t.step(path, async () => {
      // The sh blocks' lines, and commands quoted in the prose.
      const spans = [...prose(page(path)).matchAll(/`(deno (?:task|run) [^`]+)`/g)].map((m) =>
        m[1]!
      );
      for (const line of [...commands(page(path)), ...spans]) {
        const task = line.match(/^deno task (\S+)/)?.[1];
        if (task) ok(tasks.includes(task), `${path}: deno task ${task} is not in deno.json`);
        const script = line.match(/^deno run (?:-\S+ )*(\S+\.ts)\b/)?.[1];
        if (script) ok(await exists(script), `${path}: ${script} does not exist`);
      }
    });
  }
});

Deno.test("every file the documentation names in code, and every relative link, exists", async (t) => {
  // A path from the repository's root, to a file (a folder ends in "/"; NAME is a placeholder).
  const FILE = /^(?:lib|tests|tools|bench|examples|patterns|docs|compose)\/[\w./-]*\w$/;
  for (const path of all) {
    await t.step(path, async () => {
      const text = prose(page(path));
      for (const [, span] of text.matchAll(/`([^`\s]+)`/g)) {
        // bench/out/ holds what `deno task bench` draws: made by a run, never committed.
        if (FILE.test(span!) && !span!.includes("NAME") && !span!.startsWith("bench/out/")) {
          ok(await exists(span!), `${path}: \`${span}\` does not exist`);
        }
      }
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target!) || target!.startsWith("#")) continue;
        const file = normalize(join(dirname(path), target!.replace(/#.*$/, "")));
        ok(!file.startsWith(".."), `${path}: ${target} leaves the repository`);
        ok(await exists(file), `${path}: the link ${target} leads nowhere (${file})`);
      }
    });
  }
});

Deno.test("each README snippet after a link to examples/NAME.ts is a run of that file's lines", async (t) => {
  for (const path of ["README.md", "README.zh-TW.md"]) {
    await t.step(path, async () => {
      const linked = new Set<string>();
      const matched = new Set<string>();
      let example: string | undefined; // the example linked last in this ## section
      const lines = page(path).split("\n");
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i]!;
        if (/^## /.test(line)) example = undefined;
        const fence = line.match(/^```(\S*)/);
        if (!fence) {
          const link = line.match(/\]\((examples\/\w+\.ts)\)/)?.[1];
          if (link) linked.add(example = link);
          continue;
        }
        const end = lines.indexOf("```", i + 1);
        ok(end > i, `${path}:${i + 1}: a code block that never ends`);
        const block = lines.slice(i + 1, end);
        if (fence[1] === "ts" && example) {
          const source = (await read(example)).split("\n");
          const at = source.findIndex((_, j) => block.every((l, k) => source[j + k] === l));
          ok(
            at !== -1,
            `${path}:${
              i + 1
            }: the ts block after ${example} is not a run of its lines; copy them ` +
              `again from ${example} (its first line: ${JSON.stringify(block[0])})`,
          );
          matched.add(example);
        }
        i = end;
      }
      ok(linked.size >= 5, `only ${linked.size} examples linked`);
      deepEqual([...matched].toSorted(), [...linked].toSorted(), "an example without a snippet");
    });
  }
});
