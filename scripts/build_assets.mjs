// Builds Townsquare's front-end assets from npm packages into townsquare/static/vendor.
// Runs offline once node_modules exists; nothing is fetched from a CDN at run time.
import { cpSync, mkdirSync, readFileSync, writeFileSync, rmSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as sass from "sass";
import rtlcss from "rtlcss";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const nm = join(root, "node_modules");
const out = join(root, "townsquare", "static", "vendor");
const uswds = join(nm, "@uswds", "uswds");

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, "css"), { recursive: true });
mkdirSync(join(out, "js"), { recursive: true });

const result = sass.compile(join(root, "assets", "scss", "townsquare.scss"), {
  loadPaths: [join(uswds, "packages")],
  style: "compressed",
  quietDeps: true,
  silenceDeprecations: ["import", "slash-div"],
});
writeFileSync(join(out, "css", "townsquare.css"), result.css);
// The right-to-left stylesheet is generated, never hand-written, so both stay in step.
writeFileSync(join(out, "css", "townsquare.rtl.css"), rtlcss.process(result.css));

cpSync(join(uswds, "dist", "fonts"), join(out, "fonts"), { recursive: true });
cpSync(join(uswds, "dist", "img"), join(out, "img"), { recursive: true });
cpSync(join(uswds, "dist", "js", "uswds.min.js"), join(out, "js", "uswds.min.js"));
cpSync(join(uswds, "dist", "js", "uswds-init.min.js"), join(out, "js", "uswds-init.min.js"));
cpSync(join(nm, "htmx.org", "dist", "htmx.min.js"), join(out, "js", "htmx.min.js"));

const version = JSON.parse(readFileSync(join(uswds, "package.json"), "utf8")).version;
writeFileSync(join(out, "VERSION"), `uswds ${version}\n`);
console.log(`assets built into ${out} (USWDS ${version})`);
if (!existsSync(join(out, "css", "townsquare.rtl.css"))) process.exit(1);
