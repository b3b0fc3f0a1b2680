// The Termino booking widget.
//
//   <script src="https://<termino>/embed.js" data-business="<slug>"></script>
//
// shows the booking page in an iframe that grows with its content. With
// data-mode="button" it shows a button that opens the page in an overlay
// (data-label sets the button's text). data-lang="pl|en" picks a language.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) {
    return;
  }
  var origin = new URL(script.src).origin;
  var slug = script.getAttribute("data-business") || "";
  if (!/^[a-z0-9-]{1,63}$/.test(slug)) {
    if (window.console) {
      window.console.warn("Termino widget: data-business must be the booking page's address");
    }
    return;
  }
  var lang = script.getAttribute("data-lang");
  var mode = script.getAttribute("data-mode") || "inline";
  var src = origin + "/b/" + slug + "?embed=1" + (lang ? "&lang=" + encodeURIComponent(lang) : "");

  function makeFrame() {
    var frame = document.createElement("iframe");
    frame.src = src;
    frame.title = script.getAttribute("data-title") || "Online booking";
    frame.setAttribute("loading", "lazy");
    frame.style.width = "100%";
    frame.style.minHeight = "480px";
    frame.style.border = "0";
    frame.style.display = "block";
    frame.style.background = "transparent";
    window.addEventListener("message", function (event) {
      if (event.origin !== origin || event.source !== frame.contentWindow) {
        return;
      }
      var data = event.data || {};
      if (data.termino === "height" && typeof data.height === "number") {
        frame.style.height = Math.max(200, Math.min(data.height, 20000)) + "px";
      } else if (data.termino === "navigated" && frame.dataset.loaded) {
        var top = frame.getBoundingClientRect().top;
        if (top < 0 && mode === "inline") {
          frame.scrollIntoView({ block: "start" });
        }
      }
      frame.dataset.loaded = "1";
    });
    return frame;
  }

  if (mode !== "button") {
    var holder = document.createElement("div");
    holder.className = "termino-widget";
    holder.appendChild(makeFrame());
    script.parentNode.insertBefore(holder, script.nextSibling);
    return;
  }

  var button = document.createElement("button");
  button.type = "button";
  button.className = "termino-button";
  button.textContent = script.getAttribute("data-label") || "Book online";
  script.parentNode.insertBefore(button, script.nextSibling);

  var overlay = null;
  function close() {
    if (overlay) {
      overlay.remove();
      overlay = null;
      document.removeEventListener("keydown", onKey);
      button.focus();
    }
  }
  function onKey(event) {
    if (event.key === "Escape") {
      close();
    }
  }
  button.addEventListener("click", function () {
    if (overlay) {
      return;
    }
    overlay = document.createElement("div");
    overlay.setAttribute("role", "dialog");
    overlay.setAttribute("aria-modal", "true");
    overlay.setAttribute("aria-label", button.textContent);
    overlay.style.cssText =
      "position:fixed;inset:0;z-index:2147483000;background:rgba(15,23,42,.55);" +
      "display:flex;align-items:flex-start;justify-content:center;overflow:auto;padding:24px 8px";
    var panel = document.createElement("div");
    panel.style.cssText =
      "background:#fff;border-radius:12px;width:100%;max-width:720px;position:relative;" +
      "box-shadow:0 10px 40px rgba(0,0,0,.3);padding-top:40px";
    var closeButton = document.createElement("button");
    closeButton.type = "button";
    closeButton.textContent = "×";
    closeButton.setAttribute("aria-label", script.getAttribute("data-close-label") || "Close");
    closeButton.style.cssText =
      "position:absolute;top:4px;right:8px;font-size:28px;line-height:1;background:none;" +
      "border:0;cursor:pointer;padding:4px 10px";
    closeButton.addEventListener("click", close);
    panel.appendChild(closeButton);
    panel.appendChild(makeFrame());
    overlay.appendChild(panel);
    overlay.addEventListener("click", function (event) {
      if (event.target === overlay) {
        close();
      }
    });
    document.body.appendChild(overlay);
    document.addEventListener("keydown", onKey);
    closeButton.focus();
  });
})();
