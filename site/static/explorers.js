// The explorers as static copies (see site/ext/explorers.py).
//
// 1. Before the widget manager draws anything (it waits for the page's "load"
//    event), every control in the saved widget state is marked disabled: no
//    kernel runs behind the page, so a control that moved would change nothing.
// 2. Once drawn, each explorer's figure gets the alt text its cell's metadata
//    gives (the widget manager draws it as a bare <img>), and each slider the
//    name of its label (ipywidgets 8 leaves its role="slider" handle unnamed).
// 3. Each block of precomputed frames becomes a player: one figure at a time,
//    a slider to choose it and a button that plays them in turn.

(function () {
  "use strict";

  function freezeControls() {
    const states = document.querySelectorAll(
      'script[type="application/vnd.jupyter.widget-state+json"]'
    );
    for (const script of states) {
      const saved = JSON.parse(script.textContent);
      for (const model of Object.values(saved.state || {})) {
        if (model.state && "disabled" in model.state) {
          model.state.disabled = true;
        }
      }
      script.textContent = JSON.stringify(saved);
    }
  }

  function describeFigures() {
    for (const note of document.querySelectorAll(".static-explorer-note")) {
      const output = note.parentElement;
      const alt = note.dataset.figureAlt;
      const label = () => {
        for (const img of output.querySelectorAll(".widget-output img, .widget-subarea img")) {
          if (img.getAttribute("alt") !== alt) img.setAttribute("alt", alt);
        }
        for (const row of output.querySelectorAll(".widget-inline-hbox")) {
          const text = row.querySelector(".widget-label")?.textContent.trim();
          for (const handle of row.querySelectorAll('[role="slider"]:not([aria-label])')) {
            if (text) handle.setAttribute("aria-label", text);
          }
        }
      };
      label();
      new MutationObserver(label).observe(output, { childList: true, subtree: true });
    }
  }

  function makePlayer(box) {
    const figures = [...box.querySelectorAll("figure.explorer-frame")];
    if (figures.length < 2) return;
    const title = box.querySelector(".explorer-frames-title").textContent;
    const controls = document.createElement("div");
    controls.className = "explorer-frames-controls";
    const play = document.createElement("button");
    play.type = "button";
    play.textContent = "Play";
    const slider = document.createElement("input");
    slider.type = "range";
    slider.min = 0;
    slider.max = figures.length - 1;
    slider.value = 0;
    slider.setAttribute("aria-label", `Frame shown, ${title}`);
    const position = document.createElement("span");
    position.className = "explorer-frames-position";
    position.setAttribute("aria-live", "polite");
    controls.append(play, slider, position);
    box.insertBefore(controls, figures[0]);

    let timer = null;
    function show(index) {
      figures.forEach((figure, i) => (figure.hidden = i !== index));
      slider.value = index;
      const caption = figures[index].querySelector("figcaption .caption-text");
      position.textContent = `${index + 1} of ${figures.length}: ${caption.textContent.trim()}`;
    }
    function stop() {
      clearInterval(timer);
      timer = null;
      play.textContent = "Play";
    }
    slider.addEventListener("input", () => {
      stop();
      show(Number(slider.value));
    });
    play.addEventListener("click", () => {
      if (timer !== null) return stop();
      play.textContent = "Pause";
      timer = setInterval(() => show((Number(slider.value) + 1) % figures.length), 1200);
    });
    box.classList.add("explorer-frames-player");
    show(0);
  }

  freezeControls();
  describeFigures();
  document.querySelectorAll(".explorer-frames").forEach(makePlayer);
})();
