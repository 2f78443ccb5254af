// Draws each div.diagram of a wiki page with Mermaid's own renderer (mermaid.min.js, shipped beside this
// file: nothing is fetched). A diagram Mermaid cannot draw says so and keeps its source in view. When
// every diagram is done, <html data-diagrams="done"> and the event "repowiki-diagrams-done" (the
// window waits for it to scroll to a section; its tests, to look at the drawing).
(function () {
  "use strict";

  function failed(box, why) {
    var note = document.createElement("p");
    note.className = "diagram-error";
    note.textContent = "This diagram could not be drawn: " + why;   // text, never markup
    box.insertBefore(note, box.firstChild);
    box.classList.add("failed");
  }

  function drawn(box, svg, source) {
    var picture = document.createElement("div");
    picture.className = "diagram-svg";
    picture.innerHTML = svg;   // Mermaid's output at securityLevel "strict" (sanitised by its DOMPurify)
    var details = document.createElement("details");
    var summary = document.createElement("summary");
    summary.textContent = "Diagram source";
    var pre = document.createElement("pre");
    pre.textContent = source;
    details.appendChild(summary);
    details.appendChild(pre);
    box.appendChild(picture);
    box.appendChild(details);
    box.classList.add("drawn");
  }

  function isDark() {
    var root = document.documentElement;
    if (root.classList.contains("dark")) return true;
    if (root.classList.contains("light")) return false;
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  }

  async function drawAll() {
    var boxes = Array.prototype.slice.call(document.querySelectorAll("div.diagram"));
    if (boxes.length && !window.mermaid) {
      boxes.forEach(function (box) { failed(box, "the diagram renderer (mermaid.min.js) did not load."); });
    } else if (boxes.length) {
      window.mermaid.initialize({ startOnLoad: false, securityLevel: "strict", theme: isDark() ? "dark" : "default" });
      for (var i = 0; i < boxes.length; i++) {
        var box = boxes[i];
        var source = box.querySelector("pre.diagram-source").textContent;
        var id = "repowiki-diagram-" + i;
        try {
          var result = await window.mermaid.render(id, source);
          drawn(box, result.svg, source);
        } catch (error) {
          var leftover = document.getElementById("d" + id);   // Mermaid's scratch element of a failed render
          if (leftover) leftover.remove();
          failed(box, String((error && error.message) || error).replace(/\s+/g, " ").slice(0, 300));
        }
      }
    }
    document.documentElement.setAttribute("data-diagrams", "done");
    document.dispatchEvent(new Event("repowiki-diagrams-done"));
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
