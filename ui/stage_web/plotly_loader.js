// plotly.js, loaded once per page (a classic script: it sets window.Plotly), from Streamlit's static file serving
// (static/plotly-basic.min.js, plotly's basic bundle: see ui/stage.py).  Shared by the stage (stage.js) and the
// preloader the page draws first, so the download and parse start while the rest of the page is still being drawn.

const PLOTLY_URL = "app/static/plotly-basic.min.js";

function loadPlotly() {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!window.__stagePlotly) {
    window.__stagePlotly = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = new URL(PLOTLY_URL, window.location.href).href;
      script.onload = () => resolve(window.Plotly);
      script.onerror = () => { window.__stagePlotly = null; reject(new Error("plotly.js did not load")); };
      document.head.appendChild(script);
    });
  }
  return window.__stagePlotly;
}
