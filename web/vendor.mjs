// Copies the pinned browser libraries from node_modules into serving/static/vendor.
// Run `npm ci && npm run vendor` after changing package.json; commit the copies.
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "serving", "static", "vendor");
mkdirSync(out, { recursive: true });
const files = [
  ["uplot/dist/uPlot.iife.min.js", "uPlot.iife.min.js"],
  ["uplot/dist/uPlot.min.css", "uPlot.min.css"],
  ["uplot/LICENSE", "uPlot.LICENSE"],
];
for (const [src, dst] of files) {
  copyFileSync(join(here, "node_modules", src), join(out, dst));
}
const version = JSON.parse(readFileSync(join(here, "node_modules/uplot/package.json"))).version;
console.log(`vendored uPlot ${version} into ${out}`);
