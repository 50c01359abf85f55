// MathJax 3 configuration, inlined in every page with math (conf.py: mathjax_config_path),
// after the options Sphinx writes and before MathJax itself loads.
//
// The widget manager (@jupyter-widgets/html-manager 1.x) typesets each widget's
// label with MathJax 2's API, MathJax.Hub.Queue(["Typeset", MathJax.Hub, element]),
// whenever window.MathJax exists. MathJax 3 has no Hub, so without this every
// widget on a page with equations throws and stays empty. The shim below gives it
// a Hub whose Queue typesets with MathJax 3, waiting for MathJax to be ready.
(function () {
  const config = window.MathJax || {};
  const waiting = []; // elements the widgets asked for before MathJax was ready

  function typeset(element) {
    if (window.MathJax && window.MathJax.typesetPromise) {
      window.MathJax.typesetPromise([element]).catch((error) => console.error(error));
    } else {
      waiting.push(element);
    }
  }

  const hub = {
    Queue(...calls) {
      for (const call of calls) {
        if (Array.isArray(call) && call[0] === "Typeset") {
          typeset(call[2]);
        }
      }
    },
  };

  config.startup = config.startup || {};
  config.startup.ready = function () {
    window.MathJax.startup.defaultReady();
    // MathJax 3 replaces window.MathJax with its own object: give that one a Hub too
    window.MathJax.Hub = hub;
    window.MathJax.startup.promise.then(() => waiting.splice(0).forEach(typeset));
  };
  config.Hub = hub; // for widgets drawn before MathJax has loaded
  window.MathJax = config;
})();
