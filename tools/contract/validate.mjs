// Validate an AsyncAPI document with the AsyncAPI parser; exit 1 naming every problem.
//   node validate.mjs FILE
import { readFile } from "node:fs/promises";
import { Parser } from "@asyncapi/parser";

const file = process.argv[2];
if (!file) {
  console.error("usage: node validate.mjs ASYNCAPI_FILE");
  process.exit(2);
}
const parser = new Parser();
const { document, diagnostics } = await parser.parse(await readFile(file, "utf8"));
// Severity 0 is an error, 1 a warning; both are reported, only errors fail.
const errors = diagnostics.filter((d) => d.severity === 0);
for (const d of diagnostics) {
  const level = d.severity === 0 ? "error" : "warning";
  console.log(`${level}: ${d.code}: ${d.message} at ${d.path.join(".") || "(root)"}`);
}
if (errors.length || !document) {
  console.error(`${file}: not a valid AsyncAPI document (${errors.length} errors)`);
  process.exit(1);
}
console.log(`${file}: valid AsyncAPI ${document.version()}, ` +
  `${document.channels().length} channels, ${document.messages().length} messages`);
