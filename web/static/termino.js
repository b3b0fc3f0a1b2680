// Termino's only script. Everything works without it; it adds:
// - the client's own time zone on the booking page (once, if not chosen);
// - inside the widget, the page height for the host page's iframe;
// - one submission per form (a double click does not send twice).
(function () {
  "use strict";

  function detectedZone() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (e) {
      return "";
    }
  }

  function withZone(href, zone) {
    var url = new URL(href, window.location.href);
    if (url.origin !== window.location.origin || !url.pathname.startsWith("/b/")) {
      return href;
    }
    if (!url.searchParams.has("tz")) {
      url.searchParams.set("tz", zone);
    }
    return url.pathname + url.search + url.hash;
  }

  function applyZone() {
    var params = new URLSearchParams(window.location.search);
    if (params.has("tz") || !window.location.pathname.startsWith("/b/")) {
      return;
    }
    var zone = detectedZone();
    if (!zone) {
      return;
    }
    var select = document.querySelector("select[data-zone]");
    if (select) {
      // Times are on screen: show them in the client's zone right away.
      if (select.value !== zone) {
        params.set("tz", zone);
        window.location.replace(window.location.pathname + "?" + params.toString());
        return;
      }
    }
    document.querySelectorAll("a[href]").forEach(function (a) {
      a.setAttribute("href", withZone(a.getAttribute("href"), zone));
    });
  }

  function reportHeight() {
    if (!document.body.classList.contains("embedded") || window.parent === window) {
      return;
    }
    var last = 0;
    function send() {
      var height = Math.ceil(document.documentElement.scrollHeight);
      if (height !== last) {
        last = height;
        window.parent.postMessage({ termino: "height", height: height }, "*");
      }
    }
    send();
    window.parent.postMessage({ termino: "navigated" }, "*");
    if (window.ResizeObserver) {
      new ResizeObserver(send).observe(document.body);
    }
    window.addEventListener("load", send);
  }

  function submitOnce() {
    document.querySelectorAll("form[data-once]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (form.dataset.sent) {
          event.preventDefault();
          return;
        }
        form.dataset.sent = "1";
        form.querySelectorAll("button[type=submit]").forEach(function (b) {
          b.setAttribute("aria-disabled", "true");
        });
      });
    });
  }

  function confirmDanger() {
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.dataset.confirm)) {
          event.preventDefault();
        }
      });
    });
  }

  function start() {
    applyZone();
    reportHeight();
    submitOnce();
    confirmDanger();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
