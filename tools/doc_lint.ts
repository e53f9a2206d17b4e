/**
 * # `deno doc --lint lib/mod.ts`, less one known false positive
 *
 * Deno 2.9 reports `private-type-ref` whenever a public signature names a type from another
 * package (denoland/deno#27364; fixed upstream by dropping such diagnostics for non-file
 * modules). lib/ takes and returns the client's `AMQPChannel`, `AMQPMessage`, ... which are
 * public in their own package. This runs the real lint and drops exactly those diagnostics: a
 * `private-type-ref` whose referenced type is declared nowhere in lib/. Every other diagnostic,
 * including a private type of our own, still fails the run.
 *
 *     deno run --allow-run=deno --allow-read=lib tools/doc_lint.ts
 *
 * @module
 */

const entry = "lib/mod.ts";
const { code, stdout, stderr } = await new Deno.Command("deno", {
  args: ["doc", "--lint", entry],
  env: { NO_COLOR: "1" },
  stdout: "piped",
  stderr: "piped",
}).output();
const output = new TextDecoder().decode(stderr) + new TextDecoder().decode(stdout);
const blocks = output.split(/\n(?=error\[)/).filter((block) => block.startsWith("error["));
let ownSource = "";
for await (const file of Deno.readDir("lib")) {
  if (file.name.endsWith(".ts")) ownSource += await Deno.readTextFile(`lib/${file.name}`);
}
const declaredHere = (name: string) =>
  new RegExp(`(class|interface|type|function|const|enum)\\s+${name}\\b`).test(ownSource);
const crossPackage = (block: string) => {
  const name = block.match(/^error\[private-type-ref\].*references private type '(\w+)'/)?.[1];
  return name !== undefined && !declaredHere(name);
};
const real = blocks.filter((block) => !crossPackage(block));
if (real.length > 0 || (code !== 0 && blocks.length === 0)) {
  console.error(real.length > 0 ? real.join("\n") : output);
  console.error(`deno doc --lint ${entry}: ${real.length || "unparsed"} problem(s)`);
  Deno.exit(1);
}
console.log(
  `deno doc --lint ${entry}: clean (${blocks.length} cross-package type reference(s) ignored)`,
);
