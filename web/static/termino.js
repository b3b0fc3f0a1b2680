// Termino's only script. Everything works without it; it adds:
// - the client's own time zone on the booking page (once, if not chosen);
// - inside the widget, the page height for the host page's iframe;
// - one submission per form (a double click does not send twice);
// - on the SMS settings page, the text's length and parts while typing
//   (counted as termino_domain::sms counts them; the server counts again
//   on "Count again" and on saving).
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

  var GSM_BASIC = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var GSM_EXTENSION = "\f^{}\\[~]|€";
  var PLAIN = { "ą": "a", "ć": "c", "ę": "e", "ł": "l", "ń": "n", "ó": "o", "ś": "s", "ź": "z", "ż": "z",
    "Ą": "A", "Ć": "C", "Ę": "E", "Ł": "L", "Ń": "N", "Ó": "O", "Ś": "S", "Ź": "Z", "Ż": "Z",
    "„": "\"", "”": "\"", "“": "\"", "«": "\"", "»": "\"", "‘": "'", "’": "'", "‚": "'",
    "–": "-", "—": "-", "\u00a0": " " };

  function smsLength(text) {
    var chars = Array.from(text);
    var gsm = chars.every(function (c) { return GSM_BASIC.indexOf(c) >= 0 || GSM_EXTENSION.indexOf(c) >= 0; });
    var units = chars.map(function (c) {
      if (gsm) { return GSM_EXTENSION.indexOf(c) >= 0 ? 2 : 1; }
      return c.length;
    });
    var single = gsm ? 160 : 70, part = gsm ? 153 : 67;
    var total = units.reduce(function (a, b) { return a + b; }, 0);
    var segments = total === 0 ? 0 : 1;
    if (total > single) {
      var used = 0;
      units.forEach(function (u) {
        if (used + u > part) { segments += 1; used = 0; }
        used += u;
      });
    }
    return { gsm: gsm, units: total, segments: segments };
  }

  function smsCount() {
    var box = document.querySelector("[data-sms-count]");
    var area = document.getElementById("sms_template");
    var plain = document.getElementById("without_polish_characters");
    if (!box || !area) {
      return;
    }
    function fill() {
      var text = area.value.replace(/\{([a-z]+)\}/g, function (all, name) {
        var v = box.getAttribute("data-ph-" + name);
        return v === null ? all : v;
      }).trim();
      if (plain && plain.checked) {
        text = Array.from(text).map(function (c) { return PLAIN[c] || c; }).join("");
      }
      var l = smsLength(text);
      var set = function (sel, value) {
        var el = box.querySelector(sel);
        if (el) { el.textContent = value; }
      };
      set("[data-sms-preview]", text);
      set("[data-sms-length]", String(l.units));
      set("[data-sms-segments]", String(l.segments));
      set("[data-sms-encoding]", box.getAttribute(l.gsm ? "data-gsm7" : "data-ucs2"));
    }
    area.addEventListener("input", fill);
    if (plain) {
      plain.addEventListener("change", fill);
    }
  }

  function start() {
    applyZone();
    reportHeight();
    submitOnce();
    confirmDanger();
    smsCount();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
