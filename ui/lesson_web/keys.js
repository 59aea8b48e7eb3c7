// Presentation-clicker keys for lesson mode (ui/lesson_keys.py; a Streamlit components-v2 module, no iframe):
// PageDown / PageUp anywhere on the page send the trigger "press" = {key: "next" | "previous", nonce}, which
// Python turns into the lesson's Next / Previous.  Not while the focus is where PageUp / PageDown edit or move
// text (a text field, a text area, a select's search, anything contenteditable), nor with a modifier held
// (Ctrl+PageDown switches the browser's tabs).  The stage's own keys (Space, ←/→, Home on the focused chart)
// are other keys and are left alone.
//
// One listener at a time: Streamlit calls this function again when the component's arguments change without
// calling the previous cleanup, so each call first removes the listener the last one added; the cleanup it
// returns (run when the component leaves the page: no lesson open) removes it too.

const KEYS = {PageDown: "next", PageUp: "previous"};
const NOT_TYPING = new Set(["button", "checkbox", "radio", "range", "color", "file", "image", "reset", "submit"]);
let detach = null;  // removes the listener this module added last
let nonce = 0;

function typing(target) {
  if (!target || target.nodeType !== 1) return false;
  if (target.isContentEditable) return true;
  const tag = target.tagName;
  if (tag === "TEXTAREA" || tag === "SELECT") return true;
  return tag === "INPUT" && !NOT_TYPING.has((target.type || "text").toLowerCase());
}

export default function (component) {
  const {parentElement, setTriggerValue} = component;
  const doc = (parentElement && parentElement.ownerDocument) || document;
  if (detach) detach();
  const onKey = (event) => {
    const key = KEYS[event.key];
    if (!key || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey || event.isComposing) return;
    const target = event.composedPath ? event.composedPath()[0] : event.target;
    if (typing(target) || typing(doc.activeElement)) return;
    event.preventDefault();  // the page does not scroll: the clicker moves the lesson, and only that
    event.stopPropagation();  // nor does a focused slider jump by a page
    if (event.repeat) return;  // a held key is one press
    nonce += 1;
    setTriggerValue("press", {key, nonce: `${Date.now()}-${nonce}`});
  };
  doc.addEventListener("keydown", onKey, true);  // capture: before any widget that would take the key
  const remove = () => {
    doc.removeEventListener("keydown", onKey, true);
    if (detach === remove) detach = null;
  };
  detach = remove;
  if (parentElement) parentElement.dataset.lessonKeys = "on";  // for the browser test: the listener is there
  return remove;
}
