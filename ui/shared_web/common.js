// What the page's components share (prepended to each component's own JavaScript by ui/widgets.component_js):
// an element maker that writes text, never HTML, and the reader of the data Python sends.

const LR_EVENT = "optimizer-paths:lr";  // a run row's learning-rate slider moved: {index, lr}, for the stage's preview

function element(tag, className, parent, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;  // text, never HTML: labels may come from a URL or a lesson
  if (parent) parent.appendChild(node);
  return node;
}

// the data as Python sends it: JSON bytes (ui/widgets.packed)
function unpack(data) {
  if (data instanceof Uint8Array || data instanceof ArrayBuffer) return JSON.parse(new TextDecoder().decode(data));
  return data;
}

