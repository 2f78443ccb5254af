// Reads a JSON list of Mermaid diagram strings on stdin and prints a JSON list
// with, for each, null if the official parser accepts it or its error message.
// Mermaid expects a browser (DOMPurify needs a window), so jsdom provides one.
import { JSDOM } from "jsdom";

const dom = new JSDOM("<!DOCTYPE html><html><body></body></html>");
globalThis.window = dom.window;
globalThis.document = dom.window.document;
for (const name of ["Element", "HTMLElement", "Node", "DOMParser", "navigator"]) {
  if (!(name in globalThis)) {
    globalThis[name] = dom.window[name];
  }
}

const { default: mermaid } = await import("mermaid");
mermaid.initialize({ startOnLoad: false });

let input = "";
for await (const chunk of process.stdin) {
  input += chunk;
}
const diagrams = JSON.parse(input);
const results = [];
for (const text of diagrams) {
  try {
    await mermaid.parse(text);
    results.push(null);
  } catch (error) {
    results.push(String(error?.message ?? error));
  }
}
process.stdout.write(JSON.stringify(results));
