// Sums the outcomes of every .trx file under a folder and prints "N passed, N failed[, N skipped]".
// Exits 1 when a test failed or none ran, so CI cannot pass on an empty run.
const fs = require("fs");
const path = require("path");

const dir = process.argv[2] || "TestResults";
let passed = 0, failed = 0, skipped = 0, files = 0;

function walk(d) {
  if (!fs.existsSync(d)) return;
  for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
    const p = path.join(d, entry.name);
    if (entry.isDirectory()) walk(p);
    else if (entry.name.endsWith(".trx")) count(fs.readFileSync(p, "utf8"));
  }
}

function count(xml) {
  files++;
  for (const m of xml.matchAll(/<UnitTestResult\b[^>]*\boutcome="([A-Za-z]+)"/g)) {
    const outcome = m[1];
    if (outcome === "Passed") passed++;
    else if (outcome === "NotExecuted") skipped++;
    else failed++;
  }
}

walk(dir);
const line = `${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : "");
console.log(line);
process.exit(failed > 0 || passed === 0 || files === 0 ? 1 : 0);
