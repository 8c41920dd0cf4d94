// Parses every fixture's expected records with the TypeScript types quicktype generated
// from the committed schemas: each value with its topic's root type, and each non-empty
// JSON-in-string field with the type generated from its contentSchema. quicktype's
// `Convert.to<Type>` functions check the JSON against the type at run time.

declare const require: (id: string) => any;
declare const process: { argv: string[]; exit(code: number): never };

const fs = require("fs");
const path = require("path");

interface Field { path: string[]; type: string; ts_top: string }
interface Manifest { topics: Record<string, { root: string; fields: Field[] }> }

const [buildDir, expectedDir] = process.argv.slice(2);
const manifest: Manifest = JSON.parse(fs.readFileSync(path.join(buildDir, "manifest.json"), "utf8"));

// `file` names the generated module, `top` its top-level type.
function convert(file: string, top: string, json: string): unknown {
  const module = require(path.resolve(buildDir, "ts-out", file));
  return module.Convert["to" + top](json);
}

let passed = 0;
const failures: string[] = [];
for (const file of fs.readdirSync(expectedDir).sort()) {
  const records: { topic: string; value: any }[] = JSON.parse(fs.readFileSync(path.join(expectedDir, file), "utf8"));
  records.forEach((record, i) => {
    const topic = manifest.topics[record.topic];
    const checks: [string, string, string][] = [[topic.root, topic.root, JSON.stringify(record.value)]];
    for (const field of topic.fields) {
      const text = field.path.reduce((v: any, k) => (v === undefined ? undefined : v[k]), record.value);
      if (typeof text === "string" && text !== "") checks.push([field.type, field.ts_top, text]);
    }
    for (const [type, top, json] of checks) {
      try {
        convert(type, top, json);
        passed++;
      } catch (e) {
        failures.push(`${file}[${i}] as ${type}: ${(e as Error).message}`);
      }
    }
  });
}
for (const failure of failures) console.log("FAIL " + failure);
console.log(`typescript: ${passed} passed, ${failures.length} failed`);
process.exit(failures.length === 0 && passed > 0 ? 0 : 1);
