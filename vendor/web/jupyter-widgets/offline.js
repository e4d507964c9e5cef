/* The book's glue for saved ipywidgets (loaded after require.js, before embed-amd.js).
 *
 * 1. The embed manager derives where its Font Awesome fonts live from its AMD module id, which
 *    require.js resolves against the page; point that id at this folder instead.
 * 2. ipywidgets typesets widget text with the MathJax 2 API (MathJax.Hub.Queue); the book loads
 *    MathJax 3. Give every MathJax object a Hub.Queue that forwards to MathJax 3's typesetPromise.
 */
(function () {
  var here = document.currentScript.src.replace(/[?#].*$/, "").replace(/\/[^\/]*$/, "");
  require.config({ paths: { "@jupyter-widgets/html-manager/dist": here } });

  var hub = {
    Queue: function () {
      for (var i = 0; i < arguments.length; i++) {
        var job = arguments[i];
        var mj = window.MathJax;
        if (Array.isArray(job) && job[0] === "Typeset" && job[2] && mj && mj.startup && mj.startup.promise) {
          (function (el) {
            mj.startup.promise.then(function () { return mj.typesetPromise([el]); });
          })(job[2]);
        }
      }
    }
  };
  var current = window.MathJax;
  if (current && typeof current === "object" && !current.Hub) current.Hub = hub;
  Object.defineProperty(window, "MathJax", {
    configurable: true, enumerable: true,
    get: function () { return current; },
    set: function (value) {
      current = value;
      if (value && typeof value === "object" && !value.Hub) value.Hub = hub;
    }
  });
})();
